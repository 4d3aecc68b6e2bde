package cilium

import (
	"errors"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2025, 11, 25, 10, 0, 1, 234_000_000, time.UTC)

func podEnd(ns, pod string, port uint16, id NumericIdentity) FlowEndpoint {
	return FlowEndpoint{Namespace: ns, PodName: pod, Port: port, Identity: id, IP: netip.MustParseAddr("10.0.1.1")}
}

func TestCompactFormat(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name string
		flow Flow
		want string
	}{
		{
			name: "REFERENCE.md drop line",
			flow: Flow{Time: t0, Source: podEnd("default", "xwing", 43210, 1234), Destination: podEnd("default", "deathstar-6c9f", 80, 5678),
				Protocol: "TCP", TCPFlags: "SYN", Verdict: VerdictDropped, Event: EventDrop, DropReason: DropPolicyDenied},
			want: "Nov 25 10:00:01.234: default/xwing:43210 (ID:1234) <> default/deathstar-6c9f:80 (ID:5678) Policy denied DROPPED (TCP Flags: SYN)",
		},
		{
			name: "forwarded request to the endpoint",
			flow: Flow{Time: t0, Source: podEnd("default", "tiefighter", 55538, 15003), Destination: podEnd("default", "deathstar-6c9f", 80, 18939),
				Protocol: "TCP", TCPFlags: "SYN", IsReply: &no, Verdict: VerdictForwarded, Event: EventTrace, ObservationPoint: ToEndpoint},
			want: "Nov 25 10:00:01.234: default/tiefighter:55538 (ID:15003) -> default/deathstar-6c9f:80 (ID:18939) to-endpoint FORWARDED (TCP Flags: SYN)",
		},
		{
			name: "reply: the arrow flips and the sides swap",
			flow: Flow{Time: t0, Source: podEnd("default", "deathstar-6c9f", 80, 18939), Destination: podEnd("default", "tiefighter", 55538, 15003),
				Protocol: "TCP", TCPFlags: "SYN, ACK", IsReply: &yes, Verdict: VerdictForwarded, Event: EventTrace, ObservationPoint: ToStack},
			want: "Nov 25 10:00:01.234: default/tiefighter:55538 (ID:15003) <- default/deathstar-6c9f:80 (ID:18939) to-stack FORWARDED (TCP Flags: SYN, ACK)",
		},
		{
			name: "world destination with a reserved identity, udp, single-digit day",
			flow: Flow{Time: time.Date(2025, 6, 2, 11, 14, 46, 41_000_000, time.UTC), Source: podEnd("kube-system", "coredns-5d78c9869d-x2x7p", 41234, 300),
				Destination: FlowEndpoint{IP: netip.MustParseAddr("1.1.1.1"), Port: 53, Identity: IdentityWorld},
				Protocol:    "UDP", IsReply: &no, Verdict: VerdictForwarded, Event: EventTrace, ObservationPoint: ToStack},
			want: "Jun  2 11:14:46.041: kube-system/coredns-5d78c9869d-x2x7p:41234 (ID:300) -> 1.1.1.1:53 (world) to-stack FORWARDED (UDP)",
		},
		{
			name: "policy verdict event",
			flow: Flow{Time: t0, Source: podEnd("default", "xwing", 43210, 1234), Destination: podEnd("default", "deathstar-6c9f", 80, 5678),
				Protocol: "TCP", TCPFlags: "SYN", IsReply: &no, Verdict: VerdictDropped, Event: EventPolicyVerdict, TrafficDirection: "INGRESS", PolicyMatch: "none"},
			want: "Nov 25 10:00:01.234: default/xwing:43210 (ID:1234) -> default/deathstar-6c9f:80 (ID:5678) policy-verdict:none INGRESS DENIED (TCP Flags: SYN)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.flow.Compact())
		})
	}
}

func demoFlows() []Flow {
	no := false
	mk := func(i int, src, dst string, v Verdict) Flow {
		f := Flow{Time: t0.Add(time.Duration(i) * 100 * time.Millisecond), Source: podEnd("default", src, uint16(40000+i), 300),
			Destination: podEnd("default", dst, 80, 256), Protocol: "TCP", TCPFlags: "SYN", Verdict: v}
		if v == VerdictDropped {
			f.Event, f.DropReason = EventDrop, DropPolicyDenied
		} else {
			f.Event, f.ObservationPoint, f.IsReply = EventTrace, ToEndpoint, &no
		}
		return f
	}
	return []Flow{
		mk(0, "tiefighter", "deathstar-6c9f", VerdictForwarded),
		mk(1, "xwing", "deathstar-6c9f", VerdictDropped),
		mk(2, "tiefighter", "deathstar-6c9f", VerdictForwarded),
		mk(3, "xwing", "deathstar-6c9f", VerdictDropped),
	}
}

func TestObserverFiltersAndGolden(t *testing.T) {
	o := NewObserver()
	for _, f := range demoFlows() {
		require.NoError(t, o.Record(f))
	}
	golden(t, "observe-all.golden", o.Observe())
	assert.Len(t, o.Flows(FilterPod("xwing")), 2)
	assert.Len(t, o.Flows(FilterPod("default/deathstar")), 4, "pod names match by prefix")
	assert.Len(t, o.Flows(FilterPod("kube-system/deathstar")), 0)
	assert.Len(t, o.Flows(FilterVerdict(VerdictDropped)), 2)
	assert.Len(t, o.Flows(FilterVerdict(VerdictDropped), FilterFromPod("tiefighter")), 0, "filters AND")
	assert.Len(t, o.Flows(FilterToPod("deathstar")), 4)
	assert.Len(t, o.Flows(FilterNamespace("default")), 4)
	assert.Len(t, o.Flows(FilterNamespace("kube-system")), 0)
	assert.Len(t, o.Flows(FilterIdentity(256)), 4)
	assert.Len(t, o.Last(1), 1)
	assert.Equal(t, "xwing", o.Last(1)[0].Source.PodName)
}

func TestObserverRingIsBounded(t *testing.T) {
	o := NewObserver(WithCapacity(3))
	for i := range 10 {
		require.NoError(t, o.Record(Flow{Time: t0, Source: podEnd("default", "p"+strconv.Itoa(i), 1, 300), Destination: podEnd("default", "d", 2, 301)}))
	}
	fs := o.Flows()
	require.Len(t, fs, 3)
	assert.Equal(t, []string{"p7", "p8", "p9"}, []string{fs[0].Source.PodName, fs[1].Source.PodName, fs[2].Source.PodName})
	assert.Equal(t, uint64(10), o.Seen())
}

func TestObserverFollowAndHooks(t *testing.T) {
	var seen []string
	boom := errors.New("boom")
	o := NewObserver(WithOnFlow(func(f Flow) (bool, error) {
		switch f.Source.PodName {
		case "skip":
			return true, nil
		case "fail":
			return false, boom
		}
		return false, nil
	}))
	cancel := o.Follow(func(f Flow) bool {
		seen = append(seen, f.Source.PodName)
		return len(seen) < 2
	}, FilterVerdict(VerdictDropped))
	defer cancel()
	rec := func(pod string, v Verdict) error {
		return o.Record(Flow{Time: t0, Source: podEnd("default", pod, 1, 300), Destination: podEnd("default", "d", 2, 301), Verdict: v})
	}
	require.NoError(t, rec("a", VerdictDropped))
	require.NoError(t, rec("b", VerdictForwarded))
	require.NoError(t, rec("skip", VerdictDropped))
	assert.ErrorIs(t, rec("fail", VerdictDropped), boom)
	require.NoError(t, rec("c", VerdictDropped))
	require.NoError(t, rec("d", VerdictDropped))
	assert.Equal(t, []string{"a", "c"}, seen, "follower stops after returning false; skipped and failed flows are not stored")
	assert.Len(t, o.Flows(), 4)
}
