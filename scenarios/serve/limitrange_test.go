package serve

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// kubernetes/website's admin/resource/cpu-constraints-namespace task with
// the real kubectl: the LimitRange is served (get, describe, the limits
// short name), and LimitRanger admits, defaults and refuses pods with its
// texts.
func TestKubectlLimitRangeCPUConstraints(t *testing.T) {
	e := newKubectlEnv(t, Config{Speed: 20})
	e.must("create", "namespace", "constraints-cpu-example")
	lr := e.file("cpu-constraints.yaml", `apiVersion: v1
kind: LimitRange
metadata:
  name: cpu-min-max-demo-lr
spec:
  limits:
  - max:
      cpu: "800m"
    min:
      cpu: "200m"
    type: Container
`)
	e.must("apply", "-f", lr, "--namespace=constraints-cpu-example")

	out := e.must("get", "limits", "--namespace=constraints-cpu-example")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2, out)
	assert.Equal(t, []string{"NAME", "CREATED", "AT"}, strings.Fields(lines[0]))
	assert.Equal(t, "cpu-min-max-demo-lr", strings.Fields(lines[1])[0])

	out = e.must("get", "limitrange", "cpu-min-max-demo-lr", "--output=yaml", "--namespace=constraints-cpu-example")
	assert.Contains(t, out, "default:\n      cpu: 800m\n    defaultRequest:\n      cpu: 800m\n    max:\n      cpu: 800m\n    min:\n      cpu: 200m\n    type: Container")

	out = e.must("describe", "limitrange", "cpu-min-max-demo-lr", "--namespace=constraints-cpu-example")
	assert.Contains(t, out, "Name:       cpu-min-max-demo-lr")
	fields := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	assert.Contains(t, fields(out), "Type Resource Min Max Default Request Default Limit Max Limit/Request Ratio")
	assert.Contains(t, fields(out), "Container cpu 200m 800m 800m 800m -")

	pod := func(name, limit, request string) string {
		res := ""
		if limit != "" {
			res = "\n    resources:\n      limits:\n        cpu: \"" + limit + "\"\n      requests:\n        cpu: \"" + request + "\""
		}
		return e.file(name+".yaml", `apiVersion: v1
kind: Pod
metadata:
  name: `+name+`
spec:
  containers:
  - name: `+name+`-ctr
    image: nginx`+res+`
`)
	}
	e.must("apply", "-f", pod("constraints-cpu-demo", "800m", "500m"), "--namespace=constraints-cpu-example")
	_, errOut, code := e.run("", "apply", "-f", pod("constraints-cpu-demo-2", "1.5", "500m"), "--namespace=constraints-cpu-example")
	assert.NotEqual(t, 0, code)
	assert.Contains(t, errOut, `pods "constraints-cpu-demo-2" is forbidden: maximum cpu usage per Container is 800m, but limit is 1500m`)
	_, errOut, code = e.run("", "apply", "-f", pod("constraints-cpu-demo-3", "800m", "100m"), "--namespace=constraints-cpu-example")
	assert.NotEqual(t, 0, code)
	assert.Contains(t, errOut, `pods "constraints-cpu-demo-3" is forbidden: minimum cpu usage per Container is 200m, but request is 100m`)

	e.must("apply", "-f", pod("constraints-cpu-demo-4", "", ""), "--namespace=constraints-cpu-example")
	out = e.must("get", "pod", "constraints-cpu-demo-4", "--output=jsonpath={.spec.containers[0].resources}", "--namespace=constraints-cpu-example")
	assert.Equal(t, `{"limits":{"cpu":"800m"},"requests":{"cpu":"800m"}}`, out)
	out = e.must("get", "pod", "constraints-cpu-demo-4", `--output=jsonpath={.metadata.annotations.kubernetes\.io/limit-ranger}`, "--namespace=constraints-cpu-example")
	assert.Equal(t, "LimitRanger plugin set: cpu request for container constraints-cpu-demo-4-ctr; cpu limit for container constraints-cpu-demo-4-ctr", out)

	// An invalid LimitRange is refused with its validation text.
	bad := e.file("bad.yaml", "apiVersion: v1\nkind: LimitRange\nmetadata: {name: bad}\nspec:\n  limits:\n  - type: Container\n    min: {cpu: \"2\"}\n    max: {cpu: \"1\"}\n")
	_, errOut, code = e.run("", "apply", "-f", bad, "--namespace=constraints-cpu-example")
	assert.NotEqual(t, 0, code)
	assert.Contains(t, errOut, `spec.limits[0].min[cpu]: Invalid value: "2": min value 2 is greater than max value 1`)
}
