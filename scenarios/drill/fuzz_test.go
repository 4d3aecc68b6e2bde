package drill

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// FuzzParse: any file gives a drill or errors that each name the file and
// a line, never a panic.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("../library/*.yaml")
	files = append(files, "testdata/good.yaml")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{"name: x\nsteps:\n- kill: kube-nothing\n", "name: x\nsteps:\n- advance: 2562047h\n- advance: 2562047h\n",
		"name: x\nsteps:\n- scale: {target: deployment/web, replicas: 2147483647}\n", "name: x\ncluster: {etcdMembers: 5}\nsteps:\n- partition: {a: node/cp-1, b: etcd-cp-5}\n",
		"name: x\nkind: incident\nsymptom: s\nchecks:\n- absent: pod/x\nsteps:\n- advance: 1s\n", "name: x\nsteps:\n- apply: |\n    {bad\n", "[", "name: &a [*a]\n", "\t"} {
		f.Add([]byte(s))
	}
	located := regexp.MustCompile(`^f\.yaml(:\d+(:\d+)?)?: `)
	f.Fuzz(func(t *testing.T, data []byte) {
		dr, err := Parse("f.yaml", data, func(string) ([]byte, error) { return nil, os.ErrNotExist })
		if err == nil {
			if dr == nil {
				t.Fatal("no drill and no error")
			}
			return
		}
		var list Errors
		if !errors.As(err, &list) {
			var one *Error
			if !errors.As(err, &one) {
				t.Fatalf("%T is not a drill error: %v", err, err)
			}
			list = Errors{one}
		}
		for _, e := range list {
			if s := e.Error(); e.File != "" && !located.MatchString(s) {
				t.Fatalf("an error that names no line: %q", s)
			}
		}
	})
}
