package agent

import (
	"fmt"
	"net/netip"
	"sort"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/cilium"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/sim"
	"go.uber.org/zap"
)

// OperatorConfig configures the cilium-operator.
type OperatorConfig struct {
	Token      string
	APIServers []string
	// ClusterPoolCIDR and MaskSize are clusterPoolIPv4PodCIDRList and
	// clusterPoolIPv4MaskSize (10.0.0.0/8 and 24 by default).
	ClusterPoolCIDR string
	MaskSize        int
}

// NewOperator returns the cilium-operator's actor body.
func NewOperator(cfg OperatorConfig) func(*sim.Ctx) {
	if cfg.ClusterPoolCIDR == "" {
		cfg.ClusterPoolCIDR = cilium.DefaultClusterPoolCIDR
	}
	if cfg.MaskSize == 0 {
		cfg.MaskSize = cilium.DefaultClusterPoolMaskSize
	}
	return func(c *sim.Ctx) {
		cl := client.New(c, cfg.Token, cfg.APIServers...)
		cl.UserAgent = "cilium-operator"
		pool, err := cilium.NewClusterPool(cfg.ClusterPoolCIDR, cfg.MaskSize)
		if err != nil {
			c.Log().Error("bad cluster pool", zap.Error(err))
			return
		}
		op := &operator{c: c, cl: cl, pool: pool, nodes: client.NewInformer(cl, "ciliumnodes", "", client.ListOptions{})}
		op.nodes.AddHandler(client.Handler{
			OnAdd:    func(o api.Object) { op.pending = append(op.pending, o.GetObjectMeta().Name) },
			OnUpdate: func(_, o api.Object) { op.pending = append(op.pending, o.GetObjectMeta().Name) },
			OnDelete: func(o api.Object) { op.pool.ReleaseNode(o.GetObjectMeta().Name) },
		})
		op.run()
	}
}

type operator struct {
	c        *sim.Ctx
	cl       *client.Client
	pool     *cilium.ClusterPool
	nodes    *client.Informer
	pending  []string
	restored bool
}

func (op *operator) run() {
	op.start()
	for {
		m := op.c.Recv()
		if m.Kind == kindRetry {
			op.start()
		} else {
			op.nodes.Dispatch(m)
		}
		op.allocate()
	}
}

func (op *operator) start() {
	if err := op.nodes.Run(); err != nil {
		op.c.After(time.Second, kindRetry, nil)
		return
	}
	if !op.restored {
		op.restore()
	}
	op.allocate()
}

// restore re-reads the CIDRs already handed out (a restarted operator keeps
// them), taking them in address order so the pool marks the same subnets.
func (op *operator) restore() {
	op.restored = true
	type have struct {
		node   string
		prefix netip.Prefix
	}
	var got []have
	for _, o := range op.nodes.List() {
		cn := o.(*api.CiliumNode)
		if len(cn.Spec.IPAM.PodCIDRs) == 0 {
			continue
		}
		if p, err := netip.ParsePrefix(cn.Spec.IPAM.PodCIDRs[0]); err == nil {
			got = append(got, have{cn.Name, p})
		}
	}
	sort.Slice(got, func(i, j int) bool { return got[i].prefix.Addr().Less(got[j].prefix.Addr()) })
	for _, h := range got {
		if p, err := op.pool.AllocateNode(h.node); err != nil || p != h.prefix {
			op.c.Log().Warn("restored CIDR differs from the pool's choice", zap.String("node", h.node), zap.String("recorded", h.prefix.String()))
		}
	}
}

// allocate gives every CiliumNode without a pod CIDR the next free one.
func (op *operator) allocate() {
	names := op.pending
	op.pending = nil
	sort.Strings(names)
	for i, name := range names {
		if i > 0 && names[i-1] == name {
			continue
		}
		o, ok := op.nodes.Get(name)
		if !ok {
			continue
		}
		cn := o.(*api.CiliumNode)
		if len(cn.Spec.IPAM.PodCIDRs) > 0 {
			continue
		}
		prefix, err := op.pool.AllocateNode(name)
		if err != nil {
			op.c.Log().Error("cannot allocate a pod CIDR", zap.String("node", name), zap.Error(err))
			continue
		}
		upd := api.DeepCopy(cn)
		upd.Spec.IPAM.PodCIDRs = []string{prefix.String()}
		if _, err := op.cl.Update(upd); err != nil {
			op.pool.ReleaseNode(name)
			op.pending = append(op.pending, name)
			op.c.After(time.Second, kindRetry, nil)
			continue
		}
		op.c.Note("ipam", fmt.Sprintf("allocated pod CIDR %s to node %s", prefix, name))
	}
}
