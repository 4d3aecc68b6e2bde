// Package exercise is the small harness the exercises under examples/
// share: every grading test runs its grader through Grade, which decides
// whether the grader grades the learner's code or checks itself.
//
//   - Built with -tags solution (the reference solutions), Grade runs the
//     grader: it must pass.
//   - Built without (the learner's stub), once the learner has edited the
//     stub file, or when KUBESIM_GRADE is set, Grade runs the grader: it
//     passes when the exercise is solved.
//   - On the untouched stub, Grade runs the grader against it with a
//     recording testing.TB (simtest.Capture) and requires it to FAIL: a
//     grader that passes the stub grades nothing. The test then skips
//     ("not graded yet"), so a plain `go test ./...` over the repository
//     stays green while proving, every time, that each grader rejects
//     its stub.
//
// `make test` also runs `go test -tags solution ./examples/...`, which
// proves the other half: every reference solution passes its grader.
package exercise

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"testing"

	"github.com/kubesim/kubesim/sim/simtest"
)

// EnvGrade, when set to anything but "", makes Grade grade an untouched
// stub as it would grade an edited one.
const EnvGrade = "KUBESIM_GRADE"

// Grade runs grader for t. stubFile is the learner's file (relative to
// the package directory, where go test runs) and pristine the sha256 of
// its text as shipped (carriage returns removed, so a Windows checkout
// hashes the same).
func Grade(t *testing.T, stubFile, pristine string, grader func(t testing.TB)) {
	t.Helper()
	if Solution || os.Getenv(EnvGrade) != "" {
		grader(t)
		return
	}
	sum, err := Hash(stubFile)
	if err != nil || sum != pristine {
		if err != nil {
			t.Logf("cannot read %s (%v): grading", stubFile, err)
		}
		grader(t)
		return
	}
	rec := simtest.Capture(t.Name(), grader)
	if !rec.Failed() {
		t.Fatalf("the grader passes the untouched %s: it grades nothing", stubFile)
	}
	t.Skipf("%s is untouched, so it is not graded yet (the grader does fail it, as it must: %d failure(s)). Edit %s and run go test -v again, or set %s=1 to see the grader's report on the stub.",
		stubFile, len(rec.Errors()), stubFile, EnvGrade)
}

// Hash is the sha256 Grade compares, in hex.
func Hash(file string) (string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(bytes.ReplaceAll(data, []byte("\r"), nil))
	return hex.EncodeToString(sum[:]), nil
}
