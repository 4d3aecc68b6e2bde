package api

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The parsers a user reaches through manifests, kubectl's query
// parameters and drill files. Each fuzz target's seeds run as ordinary
// tests; `make fuzz` explores beyond them. Bad input must give an error,
// never a panic, and what parses must print back to something that parses
// the same.

func FuzzDecodeManifests(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		"apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: main\n    image: nginx\n",
		`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web"},"spec":{"containers":[{"name":"main","image":"nginx"}]}}`,
		"{\n  apiVersion: \"v1\",\n  kind: \"Namespace\",\n  metadata: {\n    name: \"team-a\",\n  },\n}\n", // KYAML
		"apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n",
		"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 3\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: c, image: nginx, resources: {requests: {cpu: 100m, memory: 64Mi}}}]}\n",
		"apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {selector: {app: web}, ports: [{port: 80, targetPort: http}]}\n",
		"a: &x [*x]\n", "kind: Pod\napiVersion: v1\nmetadata: {name: [1]}\n", "---\n---\n", "\xff\xfe", "- 1\n- 2\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := DecodeManifests("f.yaml", data)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error without a message")
			}
			return
		}
		for _, o := range objs {
			if o == nil {
				t.Fatal("a nil object without an error")
			}
			_ = o.GetObjectMeta().Key()
		}
	})
}

func FuzzParseSelector(f *testing.F) {
	for _, s := range []string{"", "app=web", "app==web,tier!=db", "env in (prod, staging)", "!canary", "tier", "a notin (x)",
		"k8s.io/name=x", "a in ()", "a=", "=b", "a in (b", "a,,b", "x>1", "app=web,app=web", strings.Repeat("a", 64) + "=b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sel, err := ParseSelector(s)
		if err != nil {
			return
		}
		again, err := ParseSelector(sel.String())
		if err != nil {
			t.Fatalf("%q parsed, but its String %q does not: %v", s, sel.String(), err)
		}
		if again.String() != sel.String() {
			t.Fatalf("%q: %q then %q", s, sel.String(), again.String())
		}
		_ = sel.Matches(map[string]string{"app": "web"})
	})
}

func FuzzParseFieldSelector(f *testing.F) {
	for _, s := range []string{"", "metadata.name=x", "metadata.name==x,spec.nodeName!=", "involvedObject.name=web,involvedObject.namespace=default",
		"status.phase!=Running", "a", "=", "a=b=c", `metadata.name=a\,b`, "metadata.name=x,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sel, err := ParseFieldSelector(s)
		if err != nil {
			return
		}
		again, err := ParseFieldSelector(sel.String())
		if err != nil {
			t.Fatalf("%q parsed, but its String %q does not: %v", s, sel.String(), err)
		}
		if again.String() != sel.String() {
			t.Fatalf("%q: %q then %q", s, sel.String(), again.String())
		}
	})
}

func FuzzParseQuantity(f *testing.F) {
	for _, s := range []string{"0", "1", "100m", "1.5", "2Gi", "512Mi", "1e3", "1E-3", "-1", "+5", "0.1m", "1Ki", "9223372036854775807",
		"99999999999999999999999Ei", "1.000000000000000000001", "1n", "1u", ".5", "5.", "1.5e", "Gi", "1 Gi", "0x10", "1e-9999", "1e9999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParseQuantity(s)
		if err != nil {
			return
		}
		back, err := ParseQuantity(q.String())
		if err != nil {
			t.Fatalf("%q parsed, but its String %q does not: %v", s, q.String(), err)
		}
		if back.Cmp(q) != 0 {
			t.Fatalf("%q is %s, which parses back as %s", s, q.String(), back.String())
		}
		_ = q.MilliValue()
		_ = q.Value()
	})
}
