package serve

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/apiserver"
	"github.com/kubesim/kubesim/components/dns/coredns"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
	mdns "github.com/miekg/dns"
)

// replyRecorder is a DNS ResponseWriter that keeps the reply.
type replyRecorder struct{ reply *mdns.Msg }

func (w *replyRecorder) LocalAddr() net.Addr {
	return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 53}
}
func (w *replyRecorder) RemoteAddr() net.Addr {
	return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
}
func (w *replyRecorder) WriteMsg(m *mdns.Msg) error {
	w.reply = m
	return nil
}
func (w *replyRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (w *replyRecorder) Close() error                { return nil }
func (w *replyRecorder) TsigStatus() error           { return nil }
func (w *replyRecorder) TsigTimersOnly(bool)         {}
func (w *replyRecorder) Hijack()                     {}

// FuzzDNSQuery sends arbitrary DNS messages (as they come off the wire)
// through the DNS front end to the simulated CoreDNS: every message the
// wire format accepts gets a reply that packs again, with the query's ID,
// and nothing panics.
func FuzzDNSQuery(f *testing.F) {
	for _, q := range []struct {
		name  string
		qtype uint16
	}{{"kubernetes.default.svc.cluster.local.", mdns.TypeA}, {"_https._tcp.kubernetes.default.svc.cluster.local.", mdns.TypeSRV},
		{"1.0.96.10.in-addr.arpa.", mdns.TypePTR}, {"example.com.", mdns.TypeAAAA}, {"nope.default.svc.cluster.local.", mdns.TypeTXT},
		{"cluster.local.", mdns.TypeSOA}, {"10-244-1-5.default.pod.cluster.local.", mdns.TypeA}, {".", mdns.TypeNS}, {"x.\\000.cluster.local.", mdns.TypeANY}} {
		m := new(mdns.Msg)
		m.SetQuestion(q.name, q.qtype)
		m.Id = 4242
		if b, err := m.Pack(); err == nil {
			f.Add(b)
		}
	}
	two := new(mdns.Msg)
	two.Question = []mdns.Question{{Name: "a.", Qtype: mdns.TypeA, Qclass: mdns.ClassINET}, {Name: "b.", Qtype: mdns.TypeA, Qclass: mdns.ClassCHAOS}}
	if b, err := two.Pack(); err == nil {
		f.Add(b)
	}
	f.Add([]byte{0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})

	c, err := cluster.New(cluster.Config{Seed: 1})
	if err != nil {
		f.Fatal(err)
	}
	srv, err := New(Config{Cluster: c, Paused: true})
	if err != nil {
		c.Stop()
		f.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	f.Cleanup(func() { cancel(); <-done })
	if err := srv.Do(ctx, func(c *cluster.Cluster) {
		run := coredns.New(coredns.Config{Token: apiserver.ServiceAccountTokenFor("kube-system", "coredns"), APIServers: c.APIServers})
		err = c.K.Spawn(sim.ActorSpec{Name: "coredns-0", Node: "worker-1", Component: "coredns", Run: run})
	}); err != nil || srv.Advance(ctx, 5*time.Second) != nil {
		f.Fatal("cannot start CoreDNS", err)
	}

	f.Fuzz(func(t *testing.T, wire []byte) {
		q := new(mdns.Msg)
		if err := q.Unpack(wire); err != nil {
			return // the DNS server answers FORMERR itself, before any handler
		}
		w := &replyRecorder{}
		srv.serveDNS(w, q)
		if w.reply == nil {
			t.Fatalf("no reply to %v", q.Question)
		}
		if w.reply.Id != q.Id {
			t.Fatalf("reply ID %d to query %d", w.reply.Id, q.Id)
		}
		if _, err := w.reply.Pack(); err != nil {
			t.Fatalf("the reply to %v does not pack: %v", q.Question, err)
		}
	})
}
