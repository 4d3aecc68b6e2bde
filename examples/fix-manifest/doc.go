// Package fixmanifest is an exercise on kube-apiserver's strict decoding
// and validation: repair a manifest that the apiserver refuses, without
// changing what it asks for. See README.md.
package fixmanifest
