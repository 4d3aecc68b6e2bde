// Package framework is the core of kubesim's kube-scheduler, as a pure
// library: the scheduling framework's plugin interfaces, the scheduler's
// cache of nodes and pods, and the scheduling cycle that runs plugins over
// a snapshot of that cache. It owns no goroutines, clocks, queues or
// clients, and imports only the shared API types; the scheduler actor wraps
// it, feeding the Cache from watches and binding through the apiserver.
//
// # Shape
//
// As in the real framework (k8s.io/kube-scheduler/framework), there is one
// small interface per extension point, each embedding Plugin (Name()):
//
//	PreFilter -> Filter -> [PostFilter when nothing fits]
//	          -> PreScore -> Score (+ NormalizeScore) -> pick the best node
//	          -> Reserve / Unreserve -> PreBind -> Bind -> PostBind
//
// A nil *Status is success. PreFilter and PreScore may return Skip to opt
// out of the coupled Filter or Score for the cycle. Per-cycle data lives in
// a CycleState, keyed by a name the plugin chooses. NodeInfo carries a
// node, its pods and running totals (requested resources, host ports, pods
// with affinity), updated incrementally as pods come and go.
//
// # Driving it
//
// An actor owns a Cache, a Scheduler built from a Registry and Profiles,
// and a scheduling queue (package queue):
//
//	cache := framework.NewCache()
//	sched, err := framework.NewScheduler(cache, plugins.DefaultConfig(rand.New(rand.NewPCG(seed, 0))))
//
//	// From the watches:
//	cache.AddNode(node) / UpdateNode(old, new) / RemoveNode(node)
//	cache.AddPod(boundPod) / UpdatePod(old, new) / RemovePod(pod)
//
//	// One scheduling cycle:
//	res, err := sched.Schedule(ctx, pod)   // *FitError: err.Error() is the FailedScheduling message
//	assumed, err := sched.Assume(ctx, pod, res) // the pod now counts against res.SuggestedHost
//	err = sched.Bind(ctx, assumed, res)          // or post pods/binding yourself
//	sched.Forget(ctx, assumed, res)              // if the binding failed
//
// Schedule follows kube-scheduler: no nodes gives ErrNoNodesAvailable; the
// feasible-node search starts where the previous one stopped and ends once
// NumFeasibleNodesToFind nodes passed (percentageOfNodesToScore); a single
// feasible node is chosen without scoring; otherwise each Score plugin's
// scores are normalized to 0..100, multiplied by the plugin's weight and
// summed, and ties among the top nodes are broken with the Rand given in
// Config — never a global source, so a seed fixes every placement.
//
// PostFilter runs when no node fits; the default one, the plugins
// package's DefaultPreemption, may nominate a node and name victims to
// evict there (Result.NominatedNodeName, Result.Victims), or adds the
// "preemption: ..." part of the FailedScheduling message. Pods nominated
// to a node (the Scheduler's Nominator) count there when filtering pods
// of equal or lower priority.
//
// # Writing a plugin
//
// A plugin is any type with Name() and the methods of the extension points
// it wants. Register it under its name and enable it in a profile; a Score
// plugin gets a weight:
//
//	// PreferLabelled gives full marks to nodes labelled fast=true.
//	type PreferLabelled struct{}
//
//	func (PreferLabelled) Name() string { return "PreferLabelled" }
//
//	func (PreferLabelled) Score(_ context.Context, _ *framework.CycleState, _ *api.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
//		if ni.Node().Labels["fast"] == "true" {
//			return framework.MaxNodeScore, nil
//		}
//		return 0, nil
//	}
//
//	func (PreferLabelled) ScoreExtensions() framework.ScoreExtensions { return nil }
//
//	cfg := plugins.DefaultConfig(rng)
//	if err := cfg.Registry.Register("PreferLabelled", framework.FactoryOf(PreferLabelled{})); err != nil { ... }
//	cfg.Profiles[0] = cfg.Profiles[0].With(framework.PluginSpec{Name: "PreferLabelled", Weight: 5})
//	sched, err := framework.NewScheduler(cache, cfg)
//
// A Filter plugin returns framework.NewStatus(framework.Unschedulable,
// "node(s) <why>") to reject a node; the reason is counted into the
// FailedScheduling message with the others. Plugins that need arguments or
// the snapshot register a PluginFactory instead of FactoryOf. Set
// Config.RecordScores to see every plugin's score for every node.
package framework
