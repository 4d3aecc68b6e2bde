package printers

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// kubectlFixture is one object as the real kubectl described it, written
// by scenarios/serve's TestRealKubectlDescribe (-update-describe): the
// object, the events about it, what the describer listed and the instant
// kubectl printed at. The .txt beside it is kubectl's output.
type kubectlFixture struct {
	Resource string            `json:"resource"`
	Now      time.Time         `json:"now"`
	Object   json.RawMessage   `json:"object"`
	Events   []api.Event       `json:"events"`
	Lists    []kubectlListCall `json:"lists"`
}

type kubectlListCall struct {
	Resource  string            `json:"resource"`
	Namespace string            `json:"namespace"`
	Items     []json.RawMessage `json:"items"`
}

func decodeAs(t *testing.T, resource string, raw json.RawMessage) api.Object {
	t.Helper()
	info, ok := api.ResourceFor(resource)
	require.True(t, ok, resource)
	obj := info.New()
	require.NoError(t, json.Unmarshal(raw, obj))
	return obj
}

// TestDescribeMatchesKubectl replays what the real kubectl v1.32 described
// (no kubectl needed): kubesim's describe of the same object, events and
// related objects at the same instant is kubectl's output, byte for byte.
func TestDescribeMatchesKubectl(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "kubectl", "*.json"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 40, "the kubectl fixtures are missing")
	kinds := map[string]bool{}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			var fx kubectlFixture
			require.NoError(t, json.Unmarshal(data, &fx))
			want, err := os.ReadFile(strings.TrimSuffix(f, ".json") + ".txt")
			require.NoError(t, err)
			obj := decodeAs(t, fx.Resource, fx.Object)
			lists := map[[2]string][]api.Object{}
			for _, c := range fx.Lists {
				var items []api.Object
				for _, raw := range c.Items {
					items = append(items, decodeAs(t, c.Resource, raw))
				}
				lists[[2]string{c.Resource, c.Namespace}] = items
			}
			list := func(resource, namespace string) []api.Object {
				items, ok := lists[[2]string{resource, namespace}]
				assert.True(t, ok, "the describer listed %s in %q, which kubectl's run did not", resource, namespace)
				return items
			}
			var got bytes.Buffer
			require.NoError(t, Describe(&got, fx.Resource, obj, fx.Events, fx.Now, list))
			assert.Equal(t, string(want), got.String())
			kinds[fx.Resource] = true
		})
	}
	for _, r := range []string{"pods", "nodes", "services", "endpoints", "endpointslices", "deployments", "replicasets", "daemonsets",
		"statefulsets", "jobs", "cronjobs", "persistentvolumes", "persistentvolumeclaims", "storageclasses", "poddisruptionbudgets",
		"priorityclasses", "resourcequotas", "configmaps", "secrets", "namespaces", "serviceaccounts", "networkpolicies", "horizontalpodautoscalers"} {
		assert.True(t, kinds[r], "no kubectl fixture describes %s", r)
	}
}
