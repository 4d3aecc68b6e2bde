// Package library embeds kubesim's built-in drills, so the kubesim binary
// carries them.
package library

import (
	"embed"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/kubesim/kubesim/scenarios/drill"
)

//go:embed *.yaml
var files embed.FS

// Names lists the built-in drills.
func Names() []string {
	entries, _ := fs.ReadDir(files, ".")
	var out []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".yaml") {
			out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
		}
	}
	sort.Strings(out)
	return out
}

// LargeNodes is the size from which a built-in drill is large: it runs for
// minutes rather than seconds, so `make test` runs it once (TestLargeDrills)
// and leaves the per-seed and per-mutant runs to `make test-large`.
const LargeNodes = 100

// IsLarge reports whether a drill's cluster has more than LargeNodes nodes.
func IsLarge(d *drill.Drill) bool {
	return len(d.Cluster.ControlPlanes)+len(d.Cluster.Workers) > LargeNodes
}

// Incidents lists the built-in incidents (drill files of kind incident).
func Incidents() []string {
	var out []string
	for _, n := range Names() {
		if d, _, err := Load(n); err == nil && d.IsIncident() {
			out = append(out, n)
		}
	}
	return out
}

// Load parses a built-in drill.
func Load(name string) (*drill.Drill, bool, error) {
	file := name + ".yaml"
	data, err := files.ReadFile(file)
	if err != nil {
		return nil, false, nil
	}
	d, err := drill.Parse(path.Join("library", file), data, func(p string) ([]byte, error) {
		return files.ReadFile(path.Base(p))
	})
	return d, true, err
}
