package plugins_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/scheduler/framework"
	"github.com/kubesim/kubesim/components/scheduler/plugins"
	st "github.com/kubesim/kubesim/components/scheduler/schedtest"
)

// PreferLabelled gives full marks to nodes labelled fast=true.
type PreferLabelled struct{}

func (PreferLabelled) Name() string { return "PreferLabelled" }

func (PreferLabelled) Score(_ context.Context, _ *framework.CycleState, _ *api.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	if ni.Node().Labels["fast"] == "true" {
		return framework.MaxNodeScore, nil
	}
	return 0, nil
}

func (PreferLabelled) ScoreExtensions() framework.ScoreExtensions { return nil }

// A custom Score plugin, registered by name and enabled with a weight,
// changes where a pod goes.
func Example_customScorePlugin() {
	cache := framework.NewCache()
	cache.AddNode(st.MakeNode("plain").Capacity("8", "32Gi", 110).Obj())
	cache.AddNode(st.MakeNode("fast").Capacity("4", "16Gi", 110).Label("fast", "true").Obj())

	cfg := plugins.DefaultConfig(rand.New(rand.NewPCG(1, 1)))
	if err := cfg.Registry.Register("PreferLabelled", framework.FactoryOf(PreferLabelled{})); err != nil {
		panic(err)
	}
	cfg.Profiles[0] = cfg.Profiles[0].With(framework.PluginSpec{Name: "PreferLabelled", Weight: 5})
	sched, err := framework.NewScheduler(cache, cfg)
	if err != nil {
		panic(err)
	}

	ctx := context.Background()
	res, err := sched.Schedule(ctx, st.MakePod("web").Req("2", "8Gi").Obj())
	fmt.Println(res.SuggestedHost, err)

	_, err = sched.Schedule(ctx, st.MakePod("huge").Req("16", "8Gi").Obj())
	fmt.Println(err)
	// Output:
	// fast <nil>
	// 0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.
}
