package chaos

import (
	"encoding/json"
	"flag"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/etcd"
	"github.com/kubesim/kubesim/components/etcd/mvcc"
	"github.com/kubesim/kubesim/scenarios/drill"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// `make test` runs seeds 1..3 of 30 virtual minutes each; `make chaos`
// runs many more (-chaos.seeds).
var (
	seeds    = flag.Int("chaos.seeds", 3, "run kubesim chaos for seeds 1..N")
	duration = flag.Duration("chaos.duration", 30*time.Minute, "virtual time of faults per seed")
)

func TestParseKinds(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
		wantErr  string
	}{
		{name: "empty is every kind", in: "", want: KindNames()},
		{name: "all", in: "all", want: KindNames()},
		{name: "the order of Kinds, duplicates once", in: "partition, kubelet,partition", want: []string{"kubelet", "partition"}},
		{name: "unknown", in: "kubelet,kube-prox", wantErr: `unknown fault kind "kube-prox" in --faults (valid kinds: control-plane, etcd, etcd-leader, kubelet, kube-proxy, cilium, coredns, node-power, partition, or all)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseKinds(tc.in)
			if tc.wantErr != "" {
				require.EqualError(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// The same seed draws the same plan; another seed another; a plan uses
// only the kinds it was given.
func TestPlanIsSeeded(t *testing.T) {
	a, err := NewPlan(7, 30*time.Minute, KindNames())
	require.NoError(t, err)
	b, err := NewPlan(7, 30*time.Minute, KindNames())
	require.NoError(t, err)
	assert.Equal(t, a, b)
	assert.Equal(t, string(a.Drill()), string(b.Drill()))
	c, err := NewPlan(8, 30*time.Minute, KindNames())
	require.NoError(t, err)
	assert.NotEqual(t, a.Actions, c.Actions)
	assert.Greater(t, a.Faults(), 15, "30 minutes bring many faults")
	assert.Greater(t, a.Probes(), 30)

	only, err := NewPlan(7, 30*time.Minute, []string{"kubelet", "partition"})
	require.NoError(t, err)
	for _, act := range only.Actions {
		if act.Kind != "" {
			assert.Contains(t, []string{"kubelet", "partition"}, act.Kind, "%+v", act)
		}
	}
	_, err = NewPlan(7, 0, KindNames())
	assert.Error(t, err)
}

// The schedule keeps to what healing repairs, for many seeds: at most one
// fault on the control-plane nodes at a time (etcd keeps its quorum), one
// worker powered off at most, one fault per node, every fault repaired by
// the end of the schedule, and every fault kind drawn at some seed.
func TestPlanKeepsTheClusterRepairable(t *testing.T) {
	seen := map[string]bool{}
	for seed := uint64(1); seed <= 100; seed++ {
		p, err := NewPlan(seed, 30*time.Minute, KindNames())
		require.NoError(t, err)
		end := Warmup + p.Duration
		type fault struct {
			nodes  []string
			powers bool
		}
		on := map[string]fault{} // by repair key
		key := func(a Action) string { return a.Target + "|" + a.Peer }
		nodesOf := func(a Action) []string {
			switch a.Op {
			case "stopNode", "startNode":
				return []string{a.Target}
			case "partition", "heal":
				return []string{strings.TrimPrefix(a.Target, "node/"), strings.TrimPrefix(a.Peer, "node/")}
			}
			for _, n := range append(append([]string(nil), ControlPlanes...), Workers...) {
				if strings.HasSuffix(a.Target, "-"+n) {
					return []string{n}
				}
			}
			return nil
		}
		for i, a := range p.Actions {
			require.LessOrEqual(t, a.At, end, "seed %d action %d", seed, i)
			if a.Kind != "" {
				seen[a.Kind] = true
			}
			switch a.Op {
			case "kill", "stopNode", "partition":
				f := fault{nodes: nodesOf(a), powers: a.Op == "stopNode" && !isControlPlane(a.Target)}
				require.NotEmpty(t, f.nodes, "seed %d: %+v", seed, a)
				cp := 0
				for _, g := range on {
					for _, n := range f.nodes {
						require.False(t, slices.Contains(g.nodes, n), "seed %d: two faults on %s at %s", seed, n, a.At)
					}
					if slices.ContainsFunc(g.nodes, isControlPlane) {
						cp++
					}
					require.False(t, f.powers && g.powers, "seed %d: two workers off at %s", seed, a.At)
				}
				if slices.ContainsFunc(f.nodes, isControlPlane) {
					require.Zero(t, cp, "seed %d: two faults on the control-plane nodes at %s", seed, a.At)
				}
				require.Less(t, len(on), maxConcurrent, "seed %d at %s", seed, a.At)
				on[key(a)] = f
			case "restart", "startNode", "heal":
				_, ok := on[key(a)]
				require.True(t, ok, "seed %d: %s repairs nothing at %s", seed, a.Op, a.At)
				delete(on, key(a))
			}
		}
		require.Empty(t, on, "seed %d: faults left on at the end", seed)
	}
	for _, k := range KindNames() {
		assert.True(t, seen[k], "kind %s never drawn", k)
	}
}

// The drill file of a plan reads back as a drill (kubesim run takes it),
// with one step per action after the workload and its wait, and a wrong
// edit of it gets the drill parser's errors.
func TestDrillFileReadsBack(t *testing.T) {
	p, err := NewPlan(3, 10*time.Minute, KindNames())
	require.NoError(t, err)
	dr, err := p.ParseDrill()
	require.NoError(t, err)
	assert.Len(t, dr.Steps, 2+len(p.Actions))
	assert.Equal(t, uint64(3), dr.Seed)
	assert.Len(t, dr.Expect, 3*len(p.Workload))
	assert.Contains(t, string(p.Drill()), "# Written by: kubesim chaos --seed 3 --duration 10m0s --faults control-plane,etcd,")
	broken := strings.Replace(string(p.Drill()), "kill: ", "kil: ", 1)
	_, err = drill.Parse("chaos.yaml", []byte(broken), nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown field "kil"`)
}

// Every seed of the tier passes: the cluster heals and every invariant
// holds. (A seed that finds a bug in the simulator does not belong here
// until the bug is fixed.)
func TestSeeds(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: chaos runs are the long tier")
	}
	for s := 1; s <= *seeds; s++ {
		t.Run(fmt.Sprintf("seed-%d", s), func(t *testing.T) {
			res, err := Run(Options{Seed: uint64(s), Duration: *duration})
			require.NoError(t, err)
			for _, c := range res.Checks {
				assert.True(t, c.Passed, "%s: %s\nreplay: %s", c.Name.En, c.Detail.En, res.Plan.Command())
			}
			assert.True(t, res.Settled, "settled within %s", DefaultSettle)
			assert.Greater(t, res.Plan.Faults(), 0)
			assert.Greater(t, res.Curls+res.Lookups, 0)
		})
	}
}

// The same seed gives the same trace, byte for byte, and the same verdict,
// whatever GOMAXPROCS is.
func TestSameSeedSameTrace(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	opts := Options{Seed: 5, Duration: 8 * time.Minute}
	prev := runtime.GOMAXPROCS(1)
	a, err := Run(opts)
	runtime.GOMAXPROCS(max(2, prev))
	require.NoError(t, err)
	b, err := Run(opts)
	runtime.GOMAXPROCS(prev)
	require.NoError(t, err)
	assert.Equal(t, a.TraceHash, b.TraceHash)
	assert.Equal(t, a.Records, b.Records)
	assert.Equal(t, a.Checks, b.Checks)
	assert.Equal(t, a.StepErrors, b.StepErrors)
	c, err := Run(Options{Seed: 6, Duration: 8 * time.Minute})
	require.NoError(t, err)
	assert.NotEqual(t, a.TraceHash, c.TraceHash, "another seed, another run")
}

// etcdRewrite changes an object behind kube-apiserver's back, as a
// corrupting etcdctl put would: the world the checks must see broken.
func etcdRewrite(t *testing.T, c *cluster.Cluster, resource, namespace, name string, mutate func(api.Object)) {
	t.Helper()
	obj, err := c.StoredObject(resource, namespace, name)
	require.NoError(t, err)
	obj = api.DeepCopy(obj)
	mutate(obj)
	obj.GetObjectMeta().ResourceVersion = ""
	value, err := json.Marshal(obj)
	require.NoError(t, err)
	info, _ := api.ResourceFor(resource)
	_, err = etcd.NewClient(c.Kubectl(), c.EtcdMembers...).Txn(mvcc.TxnRequest{Success: []mvcc.Op{mvcc.OpPut(info.Key(namespace, name), value, 0)}})
	require.NoError(t, err)
}

func firstPod(t *testing.T, c *cluster.Cluster, selector string) *api.Pod {
	t.Helper()
	objs, err := c.StoredObjects("pods", "default", selector)
	require.NoError(t, err)
	require.NotEmpty(t, objs)
	return objs[0].(*api.Pod)
}

// Every invariant can fail: each case breaks the settled world in one way
// and that invariant must FAIL (others may fail with it). The run without
// a break passes every one (TestSeeds), so each FAIL is the break's.
func TestEveryInvariantCanFail(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	for _, tc := range []struct {
		check string
		brk   func(t *testing.T, c *cluster.Cluster)
	}{
		{"everything is healed", func(t *testing.T, c *cluster.Cluster) {
			c.K.CutLink("node:worker-1", "node:worker-2")
		}},
		{"Deployments converge", func(t *testing.T, c *cluster.Cluster) {
			_, err := c.Admin.Delete("pods", "default", firstPod(t, c, "app=web").Name, client.DeleteOptions{})
			require.NoError(t, err)
		}},
		{"kube-system settles", func(t *testing.T, c *cluster.Cluster) {
			require.NoError(t, c.K.Crash("kube-proxy-worker-1"))
		}},
		{"no pod runs on two nodes", func(t *testing.T, c *cluster.Cluster) {
			p := firstPod(t, c, "app=api")
			etcdRewrite(t, c, "pods", "default", p.Name, func(o api.Object) {
				other := "worker-1"
				if p.Spec.NodeName == other {
					other = "worker-2"
				}
				o.(*api.Pod).Spec.NodeName = other
			})
		}},
		{"pod IPs are unique", func(t *testing.T, c *cluster.Cluster) {
			web, api_ := firstPod(t, c, "app=web"), firstPod(t, c, "app=api")
			etcdRewrite(t, c, "pods", "default", api_.Name, func(o api.Object) { o.(*api.Pod).Status.PodIP = web.Status.PodIP })
		}},
		{"no node is overcommitted", func(t *testing.T, c *cluster.Cluster) {
			p := firstPod(t, c, "app=api")
			etcdRewrite(t, c, "pods", "default", p.Name, func(o api.Object) {
				o.(*api.Pod).Spec.Containers[0].Resources.Requests = api.ResourceList{api.ResourceCPU: api.MustParseQuantity("64")}
			})
		}},
		{"ClusterIPs are unique", func(t *testing.T, c *cluster.Cluster) {
			web, err := c.StoredObject("services", "default", "web")
			require.NoError(t, err)
			etcdRewrite(t, c, "services", "default", "api", func(o api.Object) { o.(*api.Service).Spec.ClusterIP = web.(*api.Service).Spec.ClusterIP })
		}},
		{"EndpointSlices match the Services", func(t *testing.T, c *cluster.Cluster) {
			objs, err := c.StoredObjects("endpointslices", "default", "kubernetes.io/service-name=cache")
			require.NoError(t, err)
			require.NotEmpty(t, objs)
			es := objs[0].(*api.EndpointSlice)
			etcdRewrite(t, c, "endpointslices", "default", es.Name, func(o api.Object) {
				s := o.(*api.EndpointSlice)
				s.Endpoints = append(s.Endpoints, api.Endpoint{Addresses: []string{"10.0.99.99"}})
			})
		}},
		{"every node's rules match the Services", func(t *testing.T, c *cluster.Cluster) {
			// kube-proxy down on one node, a Service changes: that node's
			// rules are stale.
			require.NoError(t, c.K.Crash("kube-proxy-worker-3"))
			_, err := c.Apply("extra.yaml", []byte("apiVersion: v1\nkind: Service\nmetadata: {name: extra}\nspec:\n  selector: {app: web}\n  ports: [{port: 81, targetPort: 80}]\n"))
			require.NoError(t, err)
			c.K.RunFor(30 * time.Second)
		}},
		{"DNS answers match", func(t *testing.T, c *cluster.Cluster) {
			for _, a := range c.K.Actors() {
				if a.Component == "coredns" && c.K.Running(a.Name) {
					require.NoError(t, c.K.Crash(a.Name))
				}
			}
		}},
		{"Services answer", func(t *testing.T, c *cluster.Cluster) {
			_, err := c.Apply("deny.yaml", []byte("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny-web}\nspec:\n  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Ingress]\n"))
			require.NoError(t, err)
			c.K.RunFor(30 * time.Second)
		}},
		{"no goroutine leaks", func(t *testing.T, c *cluster.Cluster) {
			done := make(chan struct{})
			go func() { <-done }()
			t.Cleanup(func() { close(done) })
		}},
	} {
		t.Run(tc.check, func(t *testing.T) {
			res, err := Run(Options{Seed: 2, Duration: 2 * time.Minute, Kinds: []string{"coredns", "kube-proxy"}, Break: func(c *cluster.Cluster) { tc.brk(t, c) }})
			require.NoError(t, err)
			var found *Check
			for i := range res.Checks {
				if res.Checks[i].Name.En == tc.check {
					found = &res.Checks[i]
				}
			}
			require.NotNil(t, found, "no check named %q", tc.check)
			assert.False(t, found.Passed, "%s passed on a broken world: %s", tc.check, found.Detail.En)
			assert.False(t, res.Passed)
			assert.NotEqual(t, found.Detail.En, found.Detail.Ko, "the detail in Korean too")
			assert.NotEmpty(t, found.Detail.Ko)
			t.Logf("%s: %s", tc.check, found.Detail.En)
		})
	}
}

// The drill file replays as a drill: kubesim run grades it PASS (every
// step runs and every expectation holds), and each of its expectations
// FAILs on a world where the workload is taken away after the schedule
// (its Services deleted, its Deployments scaled to zero).
func TestDrillFileReplaysAsADrill(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	p, err := NewPlan(4, 3*time.Minute, KindNames())
	require.NoError(t, err)
	dr, err := p.ParseDrill()
	require.NoError(t, err)
	res, err := drill.Run(dr, drill.Options{})
	require.NoError(t, err)
	for _, g := range res.Expectations {
		assert.True(t, g.Passed, "%s: want %s, saw %s", g.Name, g.Want, g.Saw)
	}
	assert.True(t, res.Passed)
	assert.NotEmpty(t, res.Expectations)

	broken := string(p.Drill())
	var breakage strings.Builder
	for _, d := range p.Workload {
		fmt.Fprintf(&breakage, "- delete: service/%s\n- scale: {target: deployment/%s, replicas: 0}\n", d.Name, d.Name)
	}
	breakage.WriteString("- advance: 1m\n")
	broken = strings.Replace(broken, "\nexpect:\n", "\n"+breakage.String()+"expect:\n", 1)
	mutant, err := drill.Parse("mutant.yaml", []byte(strings.ReplaceAll(broken, "within: 10m0s", "within: 5s")), nil)
	require.NoError(t, err)
	res, err = drill.Run(mutant, drill.Options{})
	require.NoError(t, err)
	require.Len(t, res.Expectations, 3*len(p.Workload))
	for _, g := range res.Expectations {
		assert.False(t, g.Passed, "%s passed on a world without the workload: saw %s", g.Name, g.Saw)
	}
}
