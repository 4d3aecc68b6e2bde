package apiwire_test

import (
	"go/build"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const module = "github.com/kubesim/kubesim/"

// TestOnlyTheAPIServerReachesEtcd walks the import graph of every component
// package (tests excluded) and requires that only kube-apiserver's own
// packages, and etcd's, reach the etcd packages or go.etcd.io/raft.
func TestOnlyTheAPIServerReachesEtcd(t *testing.T) {
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	imports := map[string][]string{} // package -> the module's packages it imports
	external := map[string]bool{}    // package imports go.etcd.io directly
	err = filepath.WalkDir(filepath.Join(root, "components"), func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		pkg, err := build.ImportDir(path, 0)
		if err != nil {
			return nil // no Go files
		}
		rel, _ := filepath.Rel(root, path)
		name := module + filepath.ToSlash(rel)
		for _, imp := range pkg.Imports {
			if strings.HasPrefix(imp, module) {
				imports[name] = append(imports[name], imp)
			}
			if strings.HasPrefix(imp, "go.etcd.io/") {
				external[name] = true
			}
		}
		if _, ok := imports[name]; !ok {
			imports[name] = nil
		}
		return nil
	})
	require.NoError(t, err)
	require.Contains(t, imports, module+"components/kubelet", "the walk found the components")

	reaches := map[string]bool{}
	var visit func(p string, seen map[string]bool) bool
	visit = func(p string, seen map[string]bool) bool {
		if v, ok := reaches[p]; ok {
			return v
		}
		if seen[p] {
			return false
		}
		seen[p] = true
		r := external[p] || strings.HasPrefix(p, module+"components/etcd")
		for _, imp := range imports[p] {
			if visit(imp, seen) {
				r = true
			}
		}
		reaches[p] = r
		return r
	}
	var offenders []string
	for p := range imports {
		allowed := strings.HasPrefix(p, module+"components/etcd") || p == module+"components/apiserver"
		if !allowed && visit(p, map[string]bool{}) {
			offenders = append(offenders, p)
		}
	}
	sort.Strings(offenders)
	assert.Empty(t, offenders, "these component packages pull in etcd or raft; clients should import apiwire, not apiserver")
	assert.True(t, visit(module+"components/apiserver", map[string]bool{}), "kube-apiserver itself does reach etcd (the check can fail)")
}

// TestOnlyTheFrontEndImportsKubernetesTypes keeps k8s.io's generated types
// at the HTTP edge: only the front end may import k8s.io/ packages (to
// transcode protobuf and document schemas), and kube-apiserver's field
// manager (for structured-merge-diff, the server-side apply library, and
// the schema of the built-in kinds); the simulation keeps its own
// objects. Tests may use client-go and controller-runtime freely.
func TestOnlyTheFrontEndImportsKubernetesTypes(t *testing.T) {
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	var importers []string
	for _, top := range []string{"sim", "components", "scenarios", "examples"} {
		err = filepath.WalkDir(filepath.Join(root, top), func(path string, d os.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return err
			}
			pkg, err := build.ImportDir(path, 0)
			if err != nil {
				return nil
			}
			for _, imp := range pkg.Imports {
				if strings.HasPrefix(imp, "k8s.io/") || strings.HasPrefix(imp, "sigs.k8s.io/") {
					rel, _ := filepath.Rel(root, path)
					importers = append(importers, filepath.ToSlash(rel))
					break
				}
			}
			return nil
		})
		require.NoError(t, err)
	}
	assert.Equal(t, []string{"components/apiserver/fieldmanager", "components/apiserver/frontend"}, importers, "k8s.io packages outside the HTTP front end and the field manager")
}
