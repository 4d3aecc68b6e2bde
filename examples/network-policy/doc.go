// Package networkpolicy is an exercise on NetworkPolicy as Cilium
// enforces it: write the policies that let only the right pods reach an
// API and its database. See README.md.
package networkpolicy
