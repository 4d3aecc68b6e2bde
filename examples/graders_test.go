package examples

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/kubesim/kubesim/examples/internal/exercise"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exercises are the folders with a reference solution.
func exercises(t *testing.T) []string {
	matches, err := filepath.Glob(filepath.Join("*", "solution.go"))
	require.NoError(t, err)
	var out []string
	for _, m := range matches {
		out = append(out, filepath.Dir(m))
	}
	require.NotEmpty(t, out, "no exercise found")
	return out
}

// Every exercise folder has what examples/README.md promises, every stub
// says what to implement, and every grader knows the stub's shipped hash
// (so that Grade recognizes an untouched stub).
func TestExerciseLayout(t *testing.T) {
	for _, d := range exercises(t) {
		for _, f := range []string{"README.md", "stub.go", "solution.go", "grade_test.go"} {
			_, err := os.Stat(filepath.Join(d, f))
			assert.NoError(t, err, "%s has %s", d, f)
		}
		stub, _ := os.ReadFile(filepath.Join(d, "stub.go"))
		sol, _ := os.ReadFile(filepath.Join(d, "solution.go"))
		assert.True(t, bytes.HasPrefix(stub, []byte("//go:build !solution\n")), "%s/stub.go starts with //go:build !solution", d)
		assert.True(t, bytes.HasPrefix(sol, []byte("//go:build solution\n")), "%s/solution.go starts with //go:build solution", d)
		sum, err := exercise.Hash(filepath.Join(d, "stub.go"))
		require.NoError(t, err)
		grader, _ := os.ReadFile(filepath.Join(d, "grade_test.go"))
		assert.Contains(t, string(grader), fmt.Sprintf("const stubSHA256 = %q", sum), "%s/grade_test.go: stubSHA256 is the sha256 of stub.go as shipped", d)
		todo, err := exercise.ToDo(filepath.Join(d, "stub.go"))
		assert.NoError(t, err, "%s/stub.go says what to implement (a function with a TODO, or a documented declaration)", d)
		for _, item := range todo {
			assert.NotContains(t, item, "(no doc comment)", "%s/stub.go: every declaration to implement has a doc comment", d)
		}
		readme, _ := os.ReadFile(filepath.Join(d, "README.md"))
		assert.Contains(t, string(readme), "## 한국어", "%s/README.md has a Korean part", d)
	}
}
