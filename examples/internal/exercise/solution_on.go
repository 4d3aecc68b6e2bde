//go:build solution

package exercise

// Solution reports a build with -tags solution: the reference solutions
// replace the stubs.
const Solution = true
