package simtest

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// Recorder is a testing.TB that keeps failures instead of reporting them:
// to test what a grader or an assertion says when it fails, and to run
// the kit in Example functions. Get one from Capture.
//
// It implements the methods tests, testify and the kit use (Helper,
// Log(f), Error(f), Fatal(f), Fail, FailNow, Failed, Skip(f), SkipNow,
// Skipped, Name, Cleanup); the others panic.
type Recorder struct {
	testing.TB // nil: methods not listed above are not supported

	name     string
	mu       sync.Mutex
	errors   []string
	logs     []string
	failed   bool
	skipped  bool
	cleanups []func()
}

// Capture runs fn with a Recorder in its own goroutine, as t.Run runs a
// subtest: FailNow, Fatal and Skip end fn there. It then runs the
// registered cleanups (last first) and returns the recorder.
func Capture(name string, fn func(t testing.TB)) *Recorder {
	r := &Recorder{name: name}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(r)
	}()
	<-done
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
	return r
}

// Errors are the messages of Error, Errorf, Fatal and Fatalf, in order.
func (r *Recorder) Errors() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errors...)
}

// Report is every error message, one after the other.
func (r *Recorder) Report() string { return strings.Join(r.Errors(), "\n") }

// Logs are the messages of Log and Logf.
func (r *Recorder) Logs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.logs...)
}

func (r *Recorder) Helper()      {}
func (r *Recorder) Name() string { return r.name }

func (r *Recorder) Log(args ...any) { r.log(fmt.Sprintln(args...)) }
func (r *Recorder) Logf(format string, args ...any) {
	r.log(fmt.Sprintf(format, args...))
}

func (r *Recorder) log(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs = append(r.logs, strings.TrimSuffix(s, "\n"))
}

func (r *Recorder) Error(args ...any) { r.error(fmt.Sprintln(args...)) }
func (r *Recorder) Errorf(format string, args ...any) {
	r.error(fmt.Sprintf(format, args...))
}

func (r *Recorder) error(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, strings.TrimSuffix(s, "\n"))
	r.failed = true
}

func (r *Recorder) Fatal(args ...any) { r.Error(args...); r.FailNow() }
func (r *Recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	r.FailNow()
}

func (r *Recorder) Fail() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = true
}

// FailNow marks the test failed and ends the goroutine Capture runs fn in.
func (r *Recorder) FailNow() {
	r.Fail()
	runtime.Goexit()
}

func (r *Recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

func (r *Recorder) Skip(args ...any) { r.Log(args...); r.SkipNow() }
func (r *Recorder) Skipf(format string, args ...any) {
	r.Logf(format, args...)
	r.SkipNow()
}

func (r *Recorder) SkipNow() {
	r.mu.Lock()
	r.skipped = true
	r.mu.Unlock()
	runtime.Goexit()
}

func (r *Recorder) Skipped() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.skipped
}

func (r *Recorder) Cleanup(fn func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cleanups = append(r.cleanups, fn)
}

var _ testing.TB = (*Recorder)(nil)
