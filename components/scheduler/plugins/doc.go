// Package plugins holds kubesim's in-tree scheduler plugins: the default
// plugins of kube-scheduler (v1.32 and later), with their real semantics,
// score weights and FailedScheduling reasons, written against package
// framework. NewInTreeRegistry registers them; DefaultProfile enables them
// in the real order:
//
//	plugin                           extension points              weight  reasons
//	NodeUnschedulable                Filter                                node(s) were unschedulable
//	NodeName                         Filter                                node(s) didn't match the requested node name
//	TaintToleration                  Filter, Score                 3       node(s) had untolerated taint {key: value}
//	NodeAffinity                     PreFilter, Filter, Score      2       node(s) didn't match Pod's node affinity/selector
//	NodePorts                        PreFilter, Filter                     node(s) didn't have free ports for the requested pod ports
//	NodeResourcesFit                 PreFilter, Filter, Score      1       Insufficient cpu, Insufficient memory, Too many pods, ...
//	PodTopologySpread                PreFilter, Filter, Score      2       node(s) didn't match pod topology spread constraints
//	InterPodAffinity                 PreFilter, Filter, Score      2       node(s) didn't match pod (anti-)affinity rules,
//	                                                                       node(s) didn't satisfy existing pods anti-affinity rules
//	DefaultPreemption                PostFilter                            preemption: 0/N nodes are available: ...
//	NodeResourcesBalancedAllocation  Score                         1
//	DefaultBinder                    Bind
//
// Differences from kube-scheduler, on purpose:
//
//   - ImageLocality and the volume plugins are not implemented (kubesim
//     has no images on nodes and no volumes to bind); SchedulingGates is
//     left to the queue's caller.
//   - DefaultPreemption decides (victims, nominated node, a typed
//     PreemptionRecord) but calls no API: the scheduler actor evicts the
//     victims and writes the nominations. Pod (anti-)affinity and topology
//     spreading do not see pods removed or nominated during its dry run
//     (there are no PreFilter AddPod/RemovePod extensions); resources and
//     ports do.
//   - PodTopologySpread applies only the pod's own constraints: the
//     cluster-default constraints for pods without any (which need
//     Service/ReplicaSet listers) are not applied.
//   - The reasons are v1.32's, the version kubesim reports: TaintToleration
//     names the taint ("node(s) had untolerated taint {key: value}"), as
//     releases before the generic "node(s) had untolerated taint(s)" do.
//   - NodeAffinity has no scheduler-enforced addedAffinity argument.
//
// Every plugin registers the cluster events that can make a pod it
// rejected schedulable (EventsToRegister), with queueing hints where a
// cheap check avoids useless retries; package queue uses them.
//
// The plugins keep per-cycle state in the CycleState, compute what they
// can once per cycle in PreFilter/PreScore, and do not allocate in Filter
// or Score on the success path: the benchmarks schedule tens of thousands
// of pods per second on 5,000 nodes.
package plugins
