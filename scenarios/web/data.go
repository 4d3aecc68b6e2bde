package web

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/cilium"
	"github.com/kubesim/kubesim/components/cilium/agent"
	"github.com/kubesim/kubesim/components/etcd/mvcc"
	"github.com/kubesim/kubesim/components/scheduler"
	"github.com/kubesim/kubesim/scenarios/narrate"
	"github.com/kubesim/kubesim/scenarios/play"
	"github.com/kubesim/kubesim/scenarios/views"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
)

// Data is everything the page shows of a run: its records, every etcd
// write with the record that made it, and the series its plots draw. The
// page computes the state at any record from it (the objects as of the
// record's etcd revision), so the static file needs no server.
type Data struct {
	Name    string       `json:"name"`
	Title   narrate.Text `json:"title"`
	Seed    uint64       `json:"seed"`
	Live    bool         `json:"live,omitempty"`
	Records []Rec        `json:"records"`
	Writes  []Write      `json:"writes"`
	Nodes   []Node       `json:"nodes"`
	Actors  []Actor      `json:"actors"`
	// Terms samples the highest raft term among etcd's members, at the
	// records where it changed.
	Terms []Sample `json:"terms"`
	// Downs samples which nodes were powered off, at the records where
	// that changed.
	Downs []DownSample `json:"downs"`
	// Sched is every scheduling cycle kube-scheduler noted.
	Sched []Sched `json:"sched"`
	// Flows is every Hubble flow Cilium's agents reported in a verdict.
	Flows []Flow `json:"flows"`
	// Gap counts records the live page missed (the trace ring dropped
	// them between two reads).
	Gap uint64 `json:"gap,omitempty"`
}

// Rec is one trace record as the page shows it. Short JSON names keep
// the file small: a run has thousands.
type Rec struct {
	N     uint64 `json:"n"`
	T     int64  `json:"t"` // virtual time, nanoseconds
	Event string `json:"e"`
	From  string `json:"f,omitempty"`
	To    string `json:"o,omitempty"`
	Node  string `json:"d,omitempty"`
	Kind  string `json:"k,omitempty"`
	Sum   string `json:"s,omitempty"`
	Cause uint64 `json:"c,omitempty"`
	Reply uint64 `json:"r,omitempty"`
	Tag   int    `json:"g,omitempty"`
	// Rev is etcd's revision at the end of the record's pause: the state
	// at the record is every write up to it.
	Rev int64 `json:"v,omitempty"`
	// Narration in English and Korean, from package narrate (or the
	// mark's own text); empty for records not worth a sentence.
	En string `json:"en,omitempty"`
	Ko string `json:"ko,omitempty"`
	// Check is set on checkpoints: a walkthrough's stage, a drill's step
	// or grade.
	Check bool `json:"cp,omitempty"`
}

// Write is one etcd revision.
type Write struct {
	Rev int64 `json:"v"`
	// N is the record under which the revision was committed.
	N      uint64   `json:"n"`
	Key    string   `json:"key"`
	Delete bool     `json:"del,omitempty"`
	Value  string   `json:"val,omitempty"`
	Diff   []string `json:"diff,omitempty"`
	Pod    *PodInfo `json:"pod,omitempty"`
	NodeOf *NodeObj `json:"node,omitempty"`

	created bool // the first version of its key
}

// PodInfo is what the cluster view draws of a pod at a revision.
type PodInfo struct {
	Namespace   string `json:"ns"`
	Name        string `json:"name"`
	Node        string `json:"node,omitempty"`
	Phase       string `json:"phase,omitempty"`
	IP          string `json:"ip,omitempty"`
	Owner       string `json:"owner,omitempty"` // the controller's kind (DaemonSet, ReplicaSet, Node for static pods)
	Terminating bool   `json:"term,omitempty"`
}

// NodeObj is what the cluster view draws of a Node object at a revision.
type NodeObj struct {
	Name          string `json:"name"`
	Ready         string `json:"ready,omitempty"` // the Ready condition's status
	Unschedulable bool   `json:"unsched,omitempty"`
	Taints        int    `json:"taints,omitempty"`
}

// Node is one machine of the cluster.
type Node struct {
	Name         string `json:"name"`
	ControlPlane bool   `json:"cp,omitempty"`
	IP           string `json:"ip,omitempty"`
}

// Actor is one component instance and where it runs.
type Actor struct {
	Name      string `json:"name"`
	Component string `json:"component"`
	Node      string `json:"node,omitempty"`
}

// Sample is a value from a record on.
type Sample struct {
	N uint64 `json:"n"`
	T int64  `json:"t"`
	V uint64 `json:"v"`
}

// DownSample lists the nodes powered off from a record on.
type DownSample struct {
	N    uint64   `json:"n"`
	T    int64    `json:"t"`
	Down []string `json:"down"`
}

// Sched is one scheduling cycle.
type Sched struct {
	N   uint64 `json:"n"`
	T   int64  `json:"t"`
	Pod string `json:"pod"`
	OK  bool   `json:"ok"`
	// Node is where it went, Feasible of Evaluated nodes passed.
	Node      string `json:"node,omitempty"`
	Feasible  int    `json:"feasible"`
	Evaluated int    `json:"evaluated"`
	// Wait is the virtual time from the pod's creation in etcd to this
	// cycle, nanoseconds (the scheduling latency a cycle that binds ends).
	Wait int64 `json:"wait"`
}

// Flow is one Hubble flow.
type Flow struct {
	N       uint64 `json:"n"`
	T       int64  `json:"t"`
	Node    string `json:"node"`
	Verdict string `json:"verdict"`
	Src     string `json:"src,omitempty"`
	Dst     string `json:"dst,omitempty"`
}

// collector turns records and the cluster's state, read at pauses, into
// Data. It only reads.
type collector struct {
	d        *Data
	lastRev  int64
	prev     map[string][]byte // each key's newest value, for diffs
	created  map[string]int64  // pods' creation time, for scheduling latency
	lastTerm uint64
	lastDown string
}

func newCollector(d *Data) *collector {
	return &collector{d: d, prev: map[string][]byte{}, created: map[string]int64{}}
}

// pause reads what changed in the cluster by the end of the pause whose
// last record is n (at virtual time t).
func (c *collector) pause(cl *cluster.Cluster, n uint64, t time.Duration, faults bool) {
	if _, st := cl.Store(); st != nil && st.Rev() > c.lastRev {
		rev := st.Rev()
		for _, ev := range st.Changes(c.lastRev, rev) {
			c.write(ev, n)
		}
		c.lastRev = rev
	}
	var term uint64
	for _, node := range cl.NodeNames() {
		d := cl.Disk(node)
		if d == nil || d.Log == nil {
			continue
		}
		if hs, _, err := d.Log.InitialState(); err == nil && hs.Term > term {
			term = hs.Term
		}
	}
	if term != c.lastTerm {
		c.lastTerm = term
		c.d.Terms = append(c.d.Terms, Sample{N: n, T: int64(t), V: term})
	}
	if faults || len(c.d.Downs) == 0 {
		var down []string
		for _, ni := range cl.K.Nodes() {
			if ni.Down {
				down = append(down, ni.Name)
			}
		}
		if key := strings.Join(down, ","); key != c.lastDown || len(c.d.Downs) == 0 {
			c.lastDown = key
			if down == nil {
				down = []string{}
			}
			c.d.Downs = append(c.d.Downs, DownSample{N: n, T: int64(t), Down: down})
		}
	}
}

func (c *collector) write(ev mvcc.Event, n uint64) {
	w := Write{Rev: ev.KV.ModRevision, N: n, Key: ev.KV.Key}
	prev := c.prev[w.Key]
	if ev.Type == mvcc.EventDelete {
		w.Delete = true
		delete(c.prev, w.Key)
	} else {
		w.Value = string(ev.KV.Value)
		w.Diff = views.Diff(prev, ev.KV.Value)
		c.prev[w.Key] = ev.KV.Value
	}
	switch {
	case strings.HasPrefix(w.Key, "/registry/pods/"):
		ns, name, _ := strings.Cut(strings.TrimPrefix(w.Key, "/registry/pods/"), "/")
		if w.Delete {
			w.Pod = &PodInfo{Namespace: ns, Name: name}
		} else {
			w.Pod = podInfo(ns, name, ev.KV.Value)
			w.created = ev.KV.Version == 1
		}
	case strings.HasPrefix(w.Key, "/registry/minions/"):
		name := strings.TrimPrefix(w.Key, "/registry/minions/")
		if w.Delete {
			w.NodeOf = &NodeObj{Name: name}
		} else {
			w.NodeOf = nodeObj(name, ev.KV.Value)
		}
	}
	c.d.Writes = append(c.d.Writes, w)
}

// record adds one record, narrated, and what its typed body says to the
// plots' series.
func (c *collector) record(r sim.Record, tag int, rev int64) {
	out := Rec{N: r.N, T: int64(r.Time), Event: string(r.Event), From: r.From, To: r.To, Node: r.Node, Kind: r.Kind, Sum: r.Summary(), Cause: r.Cause, Reply: r.InReplyTo, Tag: tag, Rev: rev}
	if r.Event == sim.EventMark {
		out.En, out.Ko, out.Check = markText(r.Body())
	} else {
		out.En, out.Ko = narrate.Line(r, narrate.English), narrate.Line(r, narrate.Korean)
		if out.Ko == out.En {
			out.Ko = ""
		}
	}
	switch b := r.Body().(type) {
	case scheduler.ScheduleNote:
		pod := b.Namespace + "/" + b.Name
		s := Sched{N: r.N, T: int64(r.Time), Pod: pod, OK: b.Failure == "", Node: b.Node, Feasible: b.Feasible, Evaluated: b.Evaluated}
		if at, ok := c.created[pod]; ok {
			s.Wait = int64(r.Time) - at
		}
		c.d.Sched = append(c.d.Sched, s)
	case agent.VerdictReply:
		for _, f := range b.Flows {
			c.d.Flows = append(c.d.Flows, Flow{N: r.N, T: int64(r.Time), Node: f.NodeName, Verdict: string(f.Verdict), Src: endpoint(f.Source), Dst: endpoint(f.Destination)})
		}
	}
	c.d.Records = append(c.d.Records, out)
}

// endpoint names one side of a flow as hubble observe does: the pod, or
// the address, and the port.
func endpoint(e cilium.FlowEndpoint) string {
	h := e.IP.String()
	if e.PodName != "" {
		h = e.Namespace + "/" + e.PodName
	}
	if e.Port != 0 {
		h += ":" + strconv.Itoa(int(e.Port))
	}
	return h
}

// markText is a mark's own text in both languages, and whether it is a
// checkpoint.
func markText(body any) (en, ko string, check bool) {
	switch b := body.(type) {
	case play.Stage:
		return b.Title.En, b.Title.Ko, true
	case play.Say:
		return b.En, b.Ko, false
	case play.Output:
		return string(b), "", false
	}
	_, stop := body.(play.Stop)
	if r, ok := body.(play.Renderer); ok {
		en, ko = r.Render(narrate.English), r.Render(narrate.Korean)
		if ko == en {
			ko = ""
		}
		return en, ko, true
	}
	return "", "", stop
}

// finish fills in what is known only at the end: the nodes and actors.
func (c *collector) finish(cl *cluster.Cluster) {
	if cl == nil {
		return
	}
	c.d.Nodes = c.d.Nodes[:0]
	for _, name := range cl.NodeNames() {
		c.d.Nodes = append(c.d.Nodes, Node{Name: name, ControlPlane: cl.IsControlPlane(name), IP: cl.NodeIP(name)})
	}
	c.d.Actors = c.d.Actors[:0]
	for _, a := range cl.K.Actors() {
		c.d.Actors = append(c.d.Actors, Actor{Name: a.Name, Component: a.Component, Node: a.Node})
	}
}

type podJSON struct {
	Metadata struct {
		DeletionTimestamp *string `json:"deletionTimestamp"`
		OwnerReferences   []struct {
			Kind       string `json:"kind"`
			Controller *bool  `json:"controller"`
		} `json:"ownerReferences"`
	} `json:"metadata"`
	Spec struct {
		NodeName string `json:"nodeName"`
	} `json:"spec"`
	Status struct {
		Phase string `json:"phase"`
		PodIP string `json:"podIP"`
	} `json:"status"`
}

func podInfo(ns, name string, value []byte) *PodInfo {
	p := &PodInfo{Namespace: ns, Name: name}
	var j podJSON
	if err := json.Unmarshal(value, &j); err != nil {
		return p
	}
	p.Node, p.Phase, p.IP = j.Spec.NodeName, j.Status.Phase, j.Status.PodIP
	p.Terminating = j.Metadata.DeletionTimestamp != nil
	for _, o := range j.Metadata.OwnerReferences {
		if o.Controller != nil && *o.Controller {
			p.Owner = o.Kind
		}
	}
	return p
}

type nodeJSON struct {
	Spec struct {
		Unschedulable bool       `json:"unschedulable"`
		Taints        []struct{} `json:"taints"`
	} `json:"spec"`
	Status struct {
		Conditions []struct {
			Type   string `json:"type"`
			Status string `json:"status"`
		} `json:"conditions"`
	} `json:"status"`
}

func nodeObj(name string, value []byte) *NodeObj {
	n := &NodeObj{Name: name}
	var j nodeJSON
	if err := json.Unmarshal(value, &j); err != nil {
		return n
	}
	n.Unschedulable, n.Taints = j.Spec.Unschedulable, len(j.Spec.Taints)
	for _, c := range j.Status.Conditions {
		if c.Type == "Ready" {
			n.Ready = c.Status
		}
	}
	return n
}

// sortWrites puts writes in revision order (a live page's reads arrive in
// order already; this keeps Build's output independent of that).
func sortWrites(ws []Write) {
	sort.SliceStable(ws, func(i, j int) bool { return ws[i].Rev < ws[j].Rev })
}

// RecordIndex is the index in Records of record n, or -1.
func (d *Data) RecordIndex(n uint64) int {
	i := sort.Search(len(d.Records), func(i int) bool { return d.Records[i].N >= n })
	if i < len(d.Records) && d.Records[i].N == n {
		return i
	}
	return -1
}

// WriteAt is the version of key the cluster held right after record n —
// the newest write of it at or below the record's etcd revision — or nil
// when the key did not exist then. The page computes the same.
func (d *Data) WriteAt(key string, n uint64) *Write {
	i := d.RecordIndex(n)
	if i < 0 {
		return nil
	}
	rev := d.Records[i].Rev
	var out *Write
	for wi := range d.Writes {
		w := &d.Writes[wi]
		if w.Rev > rev {
			break
		}
		if w.Key == key {
			out = w
		}
	}
	if out != nil && out.Delete {
		return nil
	}
	return out
}
