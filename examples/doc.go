// Package examples holds kubesim's small programs and its learning
// exercises, one folder each (see README.md). This package itself only
// holds the test that proves every exercise's grader means something.
package examples
