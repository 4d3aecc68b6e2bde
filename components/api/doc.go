// Package api owns the API object types every kubesim component speaks:
// core/v1 (Pod, Node, Service, ...), apps/v1, discovery.k8s.io/v1,
// coordination.k8s.io/v1, rbac.authorization.k8s.io/v1,
// networking.k8s.io/v1 and the cilium.io/v2 custom resources, with the
// field names, json tags and serializations of the real Kubernetes types,
// so that the real kubectl can read what the simulated apiserver writes.
//
// Besides the types it owns:
//
//   - the metadata types (TypeMeta, ObjectMeta, ListMeta, Time, MicroTime)
//     and the Object and ListObject interfaces;
//   - Quantity, ResourceList and IntOrString;
//   - the resource registry (Resources, ResourceForKind, ResourceForName,
//     KeyFor): URL names, short names, scope, verbs, subresources and the
//     etcd key layout of every kind;
//   - label selectors (SelectorMatches, ParseSelector), field selectors
//     (ParseFieldSelector, ObjectFields) and node selector requirements;
//   - strict manifest decoding (DecodeManifests, DecodeJSON) with errors
//     naming file, line, column, object and field path, and encoding
//     (ToJSON, ToYAML) as the apiserver and kubectl print objects.
//
// The package calls no other kubesim package and holds no mutable state.
//
// # Sharing rule
//
// Objects are shared read-only across the simulator: an object returned by
// the apiserver, an informer cache or a watch event may be seen by many
// components at once. Never modify one in place. A component that wants to
// change an object first takes its own copy with DeepCopy (or
// DeepCopyObject) and modifies the copy.
package api
