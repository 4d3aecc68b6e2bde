package printers

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/kubesim/kubesim/components/api"
)

func TestJSONPathValue(t *testing.T) {
	doc := map[string]any{
		"metadata": map[string]any{"labels": map[string]any{"app.kubernetes.io/name": "web"}},
		"spec":     map[string]any{"replicas": 3.0, "ratio": 0.5, "ports": []any{map[string]any{"port": 80.0}, map[string]any{"port": 443.0}}, "on": true},
	}
	for _, tt := range []struct {
		name, path string
		want       any
	}{
		{"an integer", ".spec.replicas", int64(3)},
		{"braces", "{.spec.replicas}", int64(3)},
		{"a number", ".spec.ratio", 0.5},
		{"a boolean", ".spec.on", true},
		{"an index", ".spec.ports[1].port", int64(443)},
		{"from the end", ".spec.ports[-1].port", int64(443)},
		{"a quoted key", ".metadata.labels['app.kubernetes.io/name']", "web"},
		{"missing", ".spec.nothing", nil},
		{"out of range", ".spec.ports[2].port", nil},
		{"not a list", ".spec.replicas[0]", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, JSONPathValue(doc, tt.path))
		})
	}
}

func TestCustomTable(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	ct := &api.CustomResource{TypeMeta: api.TypeMeta{APIVersion: "stable.example.com/v1", Kind: "CronTab"},
		ObjectMeta: api.ObjectMeta{Name: "nightly", CreationTimestamp: api.NewTime(now.Add(-90 * time.Second))},
		Content:    map[string]any{"spec": map[string]any{"cronSpec": "0 0 * * *"}}}

	plain := CustomTable(nil, []api.Object{ct}, now)
	assert.Equal(t, []string{"Name", "Age"}, columnNames(plain))
	assert.Equal(t, "date", plain.Columns[1].Type)
	assert.Equal(t, []any{"nightly", "90s"}, plain.Rows[0].Cells)

	cols := []api.CustomResourceColumnDefinition{
		{Name: "Spec", Type: "string", JSONPath: ".spec.cronSpec"},
		{Name: "Replicas", Type: "integer", JSONPath: ".spec.replicas", Priority: 1},
	}
	tbl := CustomTable(cols, []api.Object{ct}, now)
	assert.Equal(t, []string{"Name", "Spec", "Replicas"}, columnNames(tbl), "no AGE unless the CRD lists it")
	assert.Equal(t, int32(1), tbl.Columns[2].Priority)
	assert.Equal(t, []any{"nightly", "0 0 * * *", nil}, tbl.Rows[0].Cells, "a missing value is nil (kubectl prints <none>)")
}

func columnNames(t *Table) []string {
	var out []string
	for _, c := range t.Columns {
		out = append(out, c.Name)
	}
	return out
}
