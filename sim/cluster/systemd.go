package cluster

import (
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/etcd"
	"github.com/kubesim/kubesim/components/kubelet"
	"github.com/kubesim/kubesim/sim"
)

// Changes made on a node. The node shell's reads (cat, crictl ps, etcdctl
// get) look at the cluster out of band; what changes the node — writing a
// file, systemctl stop, etcdctl snapshot restore — is a NodeCommand sent
// from the endpoint "ssh-<node>" to the node's init system, the endpoint
// "systemd-<node>", which carries it out when the kernel delivers it. So
// the change is an input of the run at a definite step, journaled and
// replayed like a kubectl request (sim.Kernel.JournalInputs), and it shows
// in the trace:
//
//	ssh-cp-1 -> systemd-cp-1 node-command: write /etc/kubernetes/manifests/kube-apiserver.yaml
//
// A write under the kubelet's staticPodPath is announced to the kubelet
// (its inotify event); systemctl stop kubelet stops the kubelet's actor —
// containers keep running, the node's Lease is no longer renewed — and
// start starts its next incarnation. containerd's unit is bookkeeping only:
// stopping it makes crictl fail to connect, and the kubelet is not told
// (a simplification).

// KindNodeCommand is the kind of a NodeCommand message.
const KindNodeCommand = "node-command"

// Operations of a NodeCommand.
const (
	OpWrite        = "write"
	OpRemove       = "remove"
	OpRename       = "rename"
	OpMkdir        = "mkdir"
	OpSystemctl    = "systemctl"
	OpSnapshotSave = "etcd-snapshot-save"
	OpRestore      = "etcd-snapshot-restore"
)

// NodeCommand is one change made on a node.
type NodeCommand struct {
	ID       uint64
	Op       string
	Path, To string
	Data     []byte
	Mode     fs.FileMode
	// Unit and Action for systemctl (kubelet or containerd; start, stop,
	// restart).
	Unit, Action string
	// Restore: the member name, the initial cluster's member names, the
	// cluster token; snapshot save: the member actor asked (Endpoint).
	Name           string
	InitialCluster []string
	Token          string
	Endpoint       string
	// Restore: --bump-revision and --mark-compacted (etcdutl's defaults
	// are 0 and false: the revision goes back to the snapshot's).
	BumpRevision  int64
	MarkCompacted bool
}

// Summary is the command's line in the trace.
func (n NodeCommand) Summary() string {
	switch n.Op {
	case OpRename:
		return "rename " + n.Path + " " + n.To
	case OpSystemctl:
		return "systemctl " + n.Action + " " + n.Unit
	case OpSnapshotSave:
		return "etcdctl snapshot save " + n.Path + " (from " + n.Endpoint + ")"
	case OpRestore:
		s := "etcdutl snapshot restore " + n.Path + " --data-dir " + n.To
		if n.BumpRevision > 0 {
			s += fmt.Sprintf(" --bump-revision %d", n.BumpRevision)
		}
		if n.MarkCompacted {
			s += " --mark-compacted"
		}
		return s
	}
	return n.Op + " " + n.Path
}

// NodeResult is what a NodeCommand printed, or its error.
type NodeResult struct {
	Output string
	Err    error
}

// Unit is a systemd unit's state on a node.
type Unit struct {
	Name   string
	Active bool
	Since  time.Duration // virtual time of the last change (boot: 0)
	PID    int
	// Starts are the unit's starts, oldest first: when, and the main PID
	// it got (journal lines carry the PID of their time).
	Starts []UnitStart
	// Restarts counts the automatic restarts (Restart=always) of a main
	// process that exited.
	Restarts int
	// AutoRestart: the main process exited and systemd starts it again
	// after RestartSec ("activating (auto-restart)").
	AutoRestart bool
	supervised  bool
}

// UnitStart is one start of a unit.
type UnitStart struct {
	At  time.Duration
	PID int
}

// PIDAt is the unit's main PID at a virtual time.
func (u Unit) PIDAt(t time.Duration) int {
	pid := u.PID
	for _, s := range u.Starts {
		if s.At <= t {
			pid = s.PID
		}
	}
	return pid
}

type systemd struct {
	c       *Cluster
	node    string
	ext     *sim.External
	units   map[string]*Unit
	results map[uint64]NodeResult
}

// SystemdName is the endpoint of a node's init system.
func SystemdName(node string) string { return "systemd-" + node }

// ShellName is the endpoint a node's shell sends from.
func ShellName(node string) string { return "ssh-" + node }

func newSystemd(c *Cluster, node string) *systemd {
	s := &systemd{c: c, node: node, ext: c.K.External(SystemdName(node), node), results: map[uint64]NodeResult{},
		units: map[string]*Unit{}}
	for _, u := range []string{"containerd", "kubelet"} {
		pid := pidOf(node, u, 1)
		s.units[u] = &Unit{Name: u, Active: true, PID: pid, Starts: []UnitStart{{At: 0, PID: pid}}}
	}
	s.ext.OnMessage(func(*sim.Message) {
		for {
			m, ok := s.ext.Recv()
			if !ok {
				return
			}
			if cmd, ok := m.Body.(NodeCommand); ok {
				out, err := s.run(cmd)
				s.results[cmd.ID] = NodeResult{Output: out, Err: err}
			}
		}
	})
	return s
}

// pidOf is a unit's main PID in its n-th start: made up, but stable.
func pidOf(node, unit string, n int) int {
	h := fnv.New32a()
	h.Write([]byte(node + "/" + unit))
	return 600 + int(h.Sum32()%300) + 1000*(n-1)
}

// Units lists a node's systemd units (kubelet, containerd).
func (c *Cluster) Units(node string) []Unit {
	s := c.systemd[node]
	if s == nil {
		return nil
	}
	var out []Unit
	for _, k := range sortedKeys(s.units) {
		u := *s.units[k]
		u.Starts = append([]UnitStart(nil), u.Starts...)
		if k == "kubelet" {
			// The kubelet's actor is the truth: a node that starts again
			// starts the kubelet (the unit is enabled), a crashed one is
			// not restarted.
			running := c.K.Running(kubelet.ActorName(node))
			// Restart=always: a unit systemd keeps starting is
			// "activating (auto-restart)" while its process is down.
			u.AutoRestart = u.Active && u.supervised && !running
			u.Active = running
		}
		out = append(out, u)
	}
	return out
}

// ErrNoRoute is the ssh error for a node that is powered off.
var ErrNoRoute = errors.New("No route to host")

// NodeExec carries out a change on a node: it sends the command to the
// node's init system and steps the kernel until it was carried out. Call
// it from the driver, between steps.
func (c *Cluster) NodeExec(node string, cmd NodeCommand) (string, error) {
	s := c.systemd[node]
	if s == nil {
		return "", fmt.Errorf("ssh: Could not resolve hostname %s: Name or service not known", node)
	}
	if c.K.NodeDown(node) {
		return "", fmt.Errorf("ssh: connect to host %s port 22: %w", node, ErrNoRoute)
	}
	c.nextShell++
	cmd.ID = uint64(c.K.Steps())<<20 | c.nextShell&(1<<20-1)
	c.K.External(ShellName(node), node).Send(SystemdName(node), KindNodeCommand, cmd)
	for {
		if r, ok := s.results[cmd.ID]; ok {
			delete(s.results, cmd.ID)
			return r.Output, r.Err
		}
		if !c.K.Step() {
			return "", fmt.Errorf("ssh: connect to host %s port 22: Connection timed out", node)
		}
	}
}

func (s *systemd) run(cmd NodeCommand) (string, error) {
	d := s.c.nodeDisks[s.node]
	switch cmd.Op {
	case OpWrite:
		if err := d.WriteFile(cmd.Path, cmd.Data, cmd.Mode); err != nil {
			return "", err
		}
		s.touched(cmd.Path)
	case OpRemove:
		if !d.Exists(cmd.Path) {
			return "", &fs.PathError{Op: "remove", Path: cmd.Path, Err: fs.ErrNotExist}
		}
		if d.IsDir(cmd.Path) {
			for _, f := range d.Files() {
				if strings.HasPrefix(f, cmd.Path+"/") {
					_ = d.Remove(f)
				}
			}
			d.Unmount(cmd.Path)
		} else if err := d.Remove(cmd.Path); err != nil {
			return "", err
		}
		s.touched(cmd.Path)
	case OpRename:
		if err := d.Rename(cmd.Path, cmd.To); err != nil {
			return "", err
		}
		s.touched(cmd.Path)
		s.touched(cmd.To)
	case OpMkdir:
		return "", d.MkdirAll(cmd.Path)
	case OpSystemctl:
		return s.systemctl(cmd.Unit, cmd.Action)
	case OpSnapshotSave:
		return s.snapshotSave(cmd)
	case OpRestore:
		return s.restore(cmd)
	default:
		return "", fmt.Errorf("unknown node command %q", cmd.Op)
	}
	return "", nil
}

// touched tells the kubelet about a change in its staticPodPath, as
// inotify would.
func (s *systemd) touched(p string) {
	dir := kubelet.DefaultStaticPodPath
	if p == dir || path.Dir(p) == dir || strings.HasPrefix(dir, p+"/") {
		s.ext.Send(kubelet.ActorName(s.node), kubelet.KindManifestsChanged, kubelet.ManifestsChanged{Path: p})
	}
}

// kubeletRestartSec is the kubelet unit's RestartSec (kubeadm's drop-in:
// Restart=always, RestartSec=10).
const kubeletRestartSec = 10 * time.Second

// supervise is Restart=always for a unit systemctl started: every
// RestartSec, a main process that exited (a kubelet that could not start
// with its configuration) is started again, with a new PID, until the unit
// is stopped. Simplification: units start supervising with their first
// systemctl start or restart; at boot a crashed kubelet stays down, as the
// drills that crash it expect.
func (s *systemd) supervise(u *Unit, actor string) {
	if u.supervised {
		return
	}
	u.supervised = true
	k := s.c.K
	var tick func()
	tick = func() {
		if !u.Active {
			u.supervised = false
			return
		}
		if !k.Running(actor) && !k.NodeDown(s.node) {
			if err := k.Restart(actor); err == nil {
				u.PID += 1000
				u.Starts = append(u.Starts, UnitStart{At: k.Now(), PID: u.PID})
				u.Restarts++
			}
		}
		k.At(k.Now()+kubeletRestartSec, "systemd-"+s.node+": "+u.Name+".service RestartSec", tick)
	}
	k.At(k.Now()+kubeletRestartSec, "systemd-"+s.node+": "+u.Name+".service RestartSec", tick)
}

func (s *systemd) systemctl(unit, action string) (string, error) {
	u := s.units[unit]
	if u == nil {
		return "", fmt.Errorf("Failed to %s %s.service: Unit %s.service not found.", action, unit, unit)
	}
	k := s.c.K
	actor := ""
	if unit == "kubelet" {
		actor = kubelet.ActorName(s.node)
	}
	stop := func() {
		if actor != "" && k.Running(actor) {
			_ = k.Stop(actor, "systemd")
		}
		u.Active, u.Since = false, k.Now()
	}
	start := func() error {
		if actor != "" && !k.Running(actor) {
			if err := k.Restart(actor); err != nil {
				return err
			}
		}
		if !u.Active {
			u.PID += 1000
			u.Starts = append(u.Starts, UnitStart{At: k.Now(), PID: u.PID})
		}
		u.Active, u.Since = true, k.Now()
		if actor != "" {
			s.supervise(u, actor)
		}
		return nil
	}
	switch action {
	case "stop":
		if u.Active {
			stop()
		}
	case "start":
		if !u.Active {
			return "", start()
		}
	case "restart":
		if u.Active {
			stop()
		}
		return "", start()
	default:
		return "", fmt.Errorf("Unknown command verb '%s'.", action)
	}
	return "", nil
}

func (s *systemd) snapshotSave(cmd NodeCommand) (string, error) {
	c := s.c
	for i, m := range c.EtcdMembers {
		if m != cmd.Endpoint {
			continue
		}
		d := c.disks[c.cfg.ControlPlanes[i]]
		if !c.K.Running(m) || d == nil || d.Store == nil {
			return "", errors.New("Error: context deadline exceeded")
		}
		data := d.Store.Snapshot()
		if err := c.nodeDisks[s.node].WriteFile(cmd.Path, data, 0o600); err != nil {
			return "", err
		}
		return fmt.Sprintf("Snapshot saved at %s\n", cmd.Path), nil
	}
	return "", errors.New("Error: context deadline exceeded")
}

func (s *systemd) restore(cmd NodeCommand) (string, error) {
	d := s.c.nodeDisks[s.node]
	if d.Exists(cmd.To) {
		return "", fmt.Errorf("Error: data-dir %q exists", cmd.To)
	}
	data, err := d.ReadFile(cmd.Path)
	if err != nil {
		return "", fmt.Errorf("Error: %w", err)
	}
	disk, err := etcd.RestoreMember(data, cmd.Name, etcd.RestoreOptions{Names: cmd.InitialCluster, Token: cmd.Token,
		BumpRevision: cmd.BumpRevision, MarkCompacted: cmd.MarkCompacted, Now: s.c.K.Now()})
	if err != nil {
		return "", fmt.Errorf("Error: %s", strings.TrimPrefix(err.Error(), "etcdutl: "))
	}
	if err := d.Mount(cmd.To, disk); err != nil {
		return "", err
	}
	return "", nil
}

// EtcdStatus is a running member's status, read out of band.
func (c *Cluster) EtcdStatus(member string) (*etcd.StatusResponse, bool) {
	for i, m := range c.EtcdMembers {
		if m == member && c.K.Running(m) {
			return c.members[i].Status()
		}
	}
	return nil, false
}

// EtcdMemberID is a member's ID as its data directory holds it.
func (c *Cluster) EtcdMemberID(member string) uint64 {
	for i, m := range c.EtcdMembers {
		if m == member {
			if d := c.members[i].Disk; d != nil {
				return d.MemberID
			}
		}
	}
	return 0
}
