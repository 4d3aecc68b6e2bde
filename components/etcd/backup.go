package etcd

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/etcd/mvcc"
	"github.com/kubesim/kubesim/sim"
)

// RecommendedBumpRevision is the --bump-revision the Kubernetes and etcd
// docs suggest for restoring a cluster under a running control plane: far
// beyond any revision a client may have seen since the snapshot.
const RecommendedBumpRevision int64 = 1_000_000_000

// SaveSnapshot is `etcdctl snapshot save`: a point-in-time copy of the
// store of the member the client talks to (any member will do; a member
// that lags behind gives an older copy). The bytes end with a sha256, as
// etcdctl's file does.
func SaveSnapshot(cl *Client) ([]byte, error) {
	res, err := cl.Snapshot()
	if err != nil {
		return nil, err
	}
	return res.Data, nil
}

// RestoreOptions are the flags of `etcdutl snapshot restore`.
type RestoreOptions struct {
	// Names are the members of the new cluster (--name and
	// --initial-cluster), in the order of the disks.
	Names []string
	// Token is --initial-cluster-token. Member and cluster IDs derive
	// from it and the names, so a new token gives a new cluster ID and new
	// member IDs; empty means etcd's default, "etcd-cluster".
	Token string
	// BumpRevision and MarkCompacted are --bump-revision and
	// --mark-compacted: move the revision forward and compact at it, so
	// that every watcher that saw a revision after the snapshot was taken
	// gets "required revision has been compacted" and relists, instead of
	// silently missing the writes the restore undid.
	BumpRevision  int64
	MarkCompacted bool
	// Now is the virtual time of the restore; leases restart their full
	// TTL from it.
	Now time.Duration
}

// ErrMembersRunning is returned by callers of RestoreCluster that find a
// member still running: a data directory must not change under its member.
var ErrMembersRunning = errors.New("etcdutl: stop every etcd member before restoring its data directory")

// RestoreCluster is `etcdutl snapshot restore`, run once per member: it
// overwrites every disk with a new data directory holding the snapshot's
// store and a fresh raft log for a new cluster of opt.Names. Objects
// written after the snapshot are gone. The members must be stopped while
// it runs; starting them afterwards (their Run on the same disks) starts
// the new cluster.
//
// The operator's procedure, as for a kubeadm control plane:
//
//  1. etcdctl snapshot save (SaveSnapshot) while the cluster is healthy;
//  2. stop every kube-apiserver, so nothing writes or caches stale state;
//  3. stop every etcd member;
//  4. etcdutl snapshot restore on every member's data directory
//     (RestoreCluster, with BumpRevision = RecommendedBumpRevision and
//     MarkCompacted);
//  5. start the etcd members, and wait for a leader;
//  6. start the kube-apiservers: they list afresh; informers whose watch
//     resumes from an older resourceVersion get 410 Gone and relist.
func RestoreCluster(snapshot []byte, disks []*Disk, opt RestoreOptions) error {
	if len(opt.Names) == 0 || len(opt.Names) != len(disks) {
		return fmt.Errorf("etcdutl: %d member names for %d data directories", len(opt.Names), len(disks))
	}
	stores := make([]*mvcc.Store, len(disks))
	for i := range disks {
		// Every member gets its own copy, checked against the sha256.
		st, err := mvcc.Restore(snapshot, mvcc.RestoreOptions{BumpRevision: opt.BumpRevision, MarkCompacted: opt.MarkCompacted, Now: opt.Now})
		if err != nil {
			return fmt.Errorf("etcdutl: snapshot restore: %w", err)
		}
		stores[i] = st
	}
	peers, cid := MemberIDs(opt.Names, opt.Token)
	for i, d := range disks {
		*d = Disk{Store: stores[i]}
		d.bootstrap(peers[i].ID, cid, peers)
	}
	return nil
}

// RestoreControlPlane runs the restore procedure of RestoreCluster's doc
// on a simulated control plane, at the kernel's current instant: it stops
// the kube-apiservers and the etcd members (actor names), restores every
// member's disk (opt.Names defaults to the member names), and starts the
// members and then the apiservers again. The apiservers list afresh once
// the new cluster has a leader. Call it from the driver, between steps.
func RestoreControlPlane(k *sim.Kernel, members []string, disks []*Disk, apiservers []string, snapshot []byte, opt RestoreOptions) error {
	if len(opt.Names) == 0 {
		opt.Names = members
	}
	for _, a := range apiservers {
		if k.Running(a) {
			if err := k.Crash(a); err != nil {
				return err
			}
		}
	}
	for _, m := range members {
		if k.Running(m) {
			if err := k.Crash(m); err != nil {
				return err
			}
		}
	}
	if err := RestoreCluster(snapshot, disks, opt); err != nil {
		return err
	}
	for _, name := range append(append([]string(nil), members...), apiservers...) {
		if err := k.Restart(name); err != nil {
			return fmt.Errorf("starting %s after the restore: %w", name, err)
		}
	}
	return nil
}

// EndpointStatus is one row of `etcdctl endpoint status`.
type EndpointStatus struct {
	Endpoint string
	Status   *StatusResponse
	// Err is set when the member did not answer; etcdctl then prints
	// "Failed to get the status of endpoint ..." instead of a row.
	Err error
}

// Statuses asks every named member for its status, in order.
func Statuses(cl *Client, members []string) []EndpointStatus {
	out := make([]EndpointStatus, 0, len(members))
	for _, m := range members {
		st, err := cl.MemberStatus(m)
		out = append(out, EndpointStatus{Endpoint: m, Status: st, Err: err})
	}
	return out
}

// healthCommandTimeout is etcdctl's --command-timeout default.
const healthCommandTimeout = 5 * time.Second

// EndpointHealth is `etcdctl endpoint health` for one member: a
// linearizable read of the key "health" (which needs the member's leader
// and quorum), within etcdctl's 5 s command timeout. It returns etcdctl's
// line and whether the member is healthy.
func EndpointHealth(c sim.Caller, member string) (string, bool) {
	start := c.Now()
	_, err := c.Call(member, KindRange, RangeRequest{Key: "health"}, healthCommandTimeout)
	took := c.Now() - start
	if err != nil {
		if errors.Is(err, sim.ErrTimeout) {
			err = errors.New("context deadline exceeded")
		}
		return fmt.Sprintf("%s is unhealthy: failed to commit proposal: %v", member, err), false
	}
	return fmt.Sprintf("%s is healthy: successfully committed proposal: took = %s", member, took), true
}

// FormatStatusTable prints statuses as `etcdctl endpoint status -w table`
// does (with the columns that the simulation models, and the revision),
// members that did not answer as etcdctl's error lines below the table.
func FormatStatusTable(rows []EndpointStatus) string {
	header := []string{"ENDPOINT", "ID", "VERSION", "DB SIZE", "IS LEADER", "IS LEARNER", "RAFT TERM", "RAFT INDEX", "RAFT APPLIED INDEX", "REVISION", "ERRORS"}
	var cells [][]string
	var failures []string
	for _, r := range rows {
		if r.Err != nil {
			failures = append(failures, fmt.Sprintf("Failed to get the status of endpoint %s (%v)", r.Endpoint, r.Err))
			continue
		}
		s := r.Status
		cells = append(cells, []string{
			r.Endpoint, fmt.Sprintf("%x", s.Header.MemberID), s.Version, HumanBytes(s.DBSize),
			fmt.Sprint(s.Leader != 0 && s.Leader == s.Header.MemberID), fmt.Sprint(s.IsLearner),
			fmt.Sprint(s.Header.RaftTerm), fmt.Sprint(s.RaftIndex), fmt.Sprint(s.RaftAppliedIndex),
			fmt.Sprint(s.Header.Revision), strings.Join(s.Errors, ", "),
		})
	}
	b := strings.Builder{}
	b.WriteString(Table(header, cells))
	for _, f := range failures {
		b.WriteString(f + "\n")
	}
	return b.String()
}

// Table prints rows as etcdctl's and etcdutl's table printer does
// (olekukonko/tablewriter with SetAlignment(ALIGN_RIGHT)): +---+ borders,
// centred headers, every cell right-aligned.
func Table(header []string, rows [][]string) string {
	width := make([]int, len(header))
	for i, h := range header {
		width[i] = len(h)
	}
	for _, row := range rows {
		for i, c := range row {
			width[i] = max(width[i], len(c))
		}
	}
	var b strings.Builder
	line := func() {
		for _, w := range width {
			b.WriteString("+" + strings.Repeat("-", w+2))
		}
		b.WriteString("+\n")
	}
	row := func(r []string, center bool) {
		for i, c := range r {
			pad := width[i] - len(c)
			left := pad
			if center {
				left = pad / 2
			}
			b.WriteString("| " + strings.Repeat(" ", left) + c + strings.Repeat(" ", pad-left) + " ")
		}
		b.WriteString("|\n")
	}
	line()
	row(header, true)
	line()
	for _, r := range rows {
		row(r, false)
	}
	line()
	return b.String()
}

// HumanBytes prints a size as etcdctl and etcdutl do (go-humanize's Bytes:
// SI units, one decimal below 10 after rounding to a tenth).
func HumanBytes(n int64) string {
	if n < 10 {
		return fmt.Sprintf("%d B", n)
	}
	units := []string{"B", "kB", "MB", "GB", "TB", "PB"}
	v := float64(n)
	i := 0
	for v >= 1000 && i < len(units)-1 {
		v /= 1000
		i++
	}
	v = math.Floor(v*10+0.5) / 10
	if v < 10 {
		return fmt.Sprintf("%.1f %s", v, units[i])
	}
	return fmt.Sprintf("%.0f %s", v, units[i])
}

// RestoreMember is `etcdutl snapshot restore --name NAME
// --initial-cluster ...` on one node: a new data directory for the member
// name of a new cluster of opt.Names (every member restores the same
// snapshot with the same names, each on its own node).
func RestoreMember(snapshot []byte, name string, opt RestoreOptions) (*Disk, error) {
	if len(opt.Names) == 0 {
		opt.Names = []string{name}
	}
	idx := -1
	for i, n := range opt.Names {
		if n == name {
			idx = i
		}
	}
	if idx < 0 {
		return nil, fmt.Errorf("etcdutl: couldn't find local name %q in the initial cluster configuration", name)
	}
	st, err := mvcc.Restore(snapshot, mvcc.RestoreOptions{BumpRevision: opt.BumpRevision, MarkCompacted: opt.MarkCompacted, Now: opt.Now})
	if err != nil {
		return nil, fmt.Errorf("etcdutl: snapshot restore: %w", err)
	}
	peers, cid := MemberIDs(opt.Names, opt.Token)
	d := &Disk{Store: st}
	d.bootstrap(peers[idx].ID, cid, peers)
	return d, nil
}
