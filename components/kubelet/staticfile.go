package kubelet

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/sim"
	"go.uber.org/zap"
)

// The file source of static pods. With Config.Disk set, the kubelet reads
// its static pods from the manifests in staticPodPath on the node's disk,
// as the real kubelet's file source does: at start, and whenever the
// directory changes. The real kubelet watches the directory with inotify
// and also re-lists it every fileCheckFrequency (20 s); here a write to the
// directory is announced to the kubelet by a KindManifestsChanged message
// from whoever wrote it (the node's shell), at the instant of the write,
// which stands for the inotify event, and the listing is done again on
// the node status tick once 20 s have passed, if the disk's Version moved. A manifest whose content changed
// gives a new static pod (its hash is its UID): the old one is stopped and
// the new one started, and its mirror pod replaced; a removed manifest
// stops its pod; a file that does not decode to one Pod is logged with the
// real kubelet's message and not run. Decoding is kubesim's strict
// decoding: a field kubesim does not model is an error (the real kubelet
// ignores unknown fields).

// KindManifestsChanged tells the kubelet that its staticPodPath changed
// (the inotify event of a write); the body is a ManifestsChanged.
const KindManifestsChanged = "kubelet manifests-changed"

// ManifestsChanged names the path that changed.
type ManifestsChanged struct{ Path string }

// Summary is the event's line in the trace.
func (m ManifestsChanged) Summary() string { return "inotify: " + m.Path + " changed" }

// FileCheckFrequency is how often the kubelet's file source lists
// staticPodPath again besides its inotify watch (fileCheckFrequency).
const FileCheckFrequency = 20 * time.Second

// DefaultStaticPodPath is kubeadm's staticPodPath.
const DefaultStaticPodPath = "/etc/kubernetes/manifests"

// Programs starts and stops the programs that static pods' containers
// stand for (the control plane's own actors). This is a simulator
// mechanism: in a real node the container runtime runs the binary itself.
type Programs interface {
	// Start is called when a static pod's container starts. An error
	// makes the container exit at once (a *ProgramExit says how).
	Start(c *sim.Ctx, pod *api.Pod, container string) error
	// Stop is called when the container stops (exits, is killed, or its
	// pod goes).
	Stop(c *sim.Ctx, pod *api.Pod, container string)
	// Sync is called when a kubelet incarnation has read its static
	// pods: programs of pods not among them stop (a node that rebooted
	// starts every program it had; the kubelet runs only what its
	// manifests say).
	Sync(c *sim.Ctx, pods []*api.Pod)
}

// syncPrograms tells Programs which static pods run.
func (st *state) syncPrograms() {
	if st.cfg.Programs == nil {
		return
	}
	var pods []*api.Pod
	for _, pw := range st.static {
		pods = append(pods, pw.pod)
	}
	st.cfg.Programs.Sync(st.c, pods)
}

// ProgramExit is a program that ended right after its start: a bad flag
// (exit code 1, the program's error on its log), a missing binary (exit
// code 128, reason StartError).
type ProgramExit struct {
	Code   int32
	Reason string   // "" for Error
	Log    []string // what it printed
}

func (e *ProgramExit) Error() string {
	return fmt.Sprintf("exit code %d: %s", e.Code, strings.Join(e.Log, "; "))
}

// staticPodPath is the directory static pods are read from.
func (c Config) staticPodPath() string {
	if c.StaticPodPath != "" {
		return c.StaticPodPath
	}
	return DefaultStaticPodPath
}

// manifests are the static pods to run: the files of staticPodPath on the
// disk (sorted by name; those that do not decode are logged and skipped),
// or Config.StaticPods without a disk.
func (st *state) manifests() []*api.Pod {
	if st.cfg.Disk == nil {
		return st.cfg.StaticPods
	}
	dir := st.cfg.staticPodPath()
	st.staticVersion, st.staticChecked = st.cfg.Disk.Version(), st.c.Now()
	entries, err := st.cfg.Disk.ReadDir(dir)
	if err != nil {
		st.log.Error("Unable to read config path", zap.String("path", dir), zap.Error(err))
		return nil
	}
	var out []*api.Pod
	for _, e := range entries {
		if e.Dir || strings.HasPrefix(e.Name, ".") {
			continue // the kubelet ignores directories and dot files
		}
		p := path.Join(dir, e.Name)
		data, err := st.cfg.Disk.ReadFile(p)
		if err != nil {
			st.log.Error("Could not process manifest file", zap.String("path", p), zap.Error(err))
			continue
		}
		pod, err := decodeStaticPod(p, data)
		if err != nil {
			st.log.Error("Could not process manifest file", zap.String("path", p), zap.Error(err))
			continue
		}
		out = append(out, pod)
	}
	return out
}

// decodeStaticPod decodes one manifest file into one Pod, with the file
// source's error text.
func decodeStaticPod(p string, data []byte) (*api.Pod, error) {
	objs, err := api.DecodeManifests(p, data)
	if err == nil && len(objs) != 1 {
		err = fmt.Errorf("%d objects", len(objs))
	}
	var pod *api.Pod
	if err == nil {
		var ok bool
		if pod, ok = objs[0].(*api.Pod); !ok {
			err = fmt.Errorf("kind %s is not a Pod", objs[0].GetTypeMeta().Kind)
		}
	}
	if err == nil && pod.Name == "" {
		err = fmt.Errorf("metadata.name: Required value: name or generateName is required")
	}
	if err != nil {
		return nil, fmt.Errorf("%s: couldn't parse as pod(%v), please check config file", p, err)
	}
	return pod, nil
}

// reconcileStatic compares the manifests on disk with the static pods that
// run: a changed pod is replaced, a removed one stopped, a new one started.
func (st *state) reconcileStatic() {
	if st.cfg.Disk == nil {
		return
	}
	want := map[string]*api.Pod{}
	var order []string
	for _, m := range st.manifests() {
		pod := st.staticPod(m)
		key := pod.Namespace + "/" + pod.Name
		if _, dup := want[key]; dup {
			st.log.Error("Could not process manifest file", zap.String("pod", key), zap.String("error", "duplicate pod name"))
			continue
		}
		want[key] = pod
		order = append(order, key)
	}
	var keep []*podWorker
	for _, pw := range st.static {
		if w, ok := want[pw.key]; ok && w.UID == pw.uid {
			keep = append(keep, pw)
			delete(want, pw.key)
			continue
		}
		st.log.Info("Stopping static pod", zap.String("pod", pw.key), zap.String("podUID", string(pw.uid)))
		st.stopStatic(pw)
	}
	st.static = keep
	st.syncPrograms()
	sort.Strings(order)
	for _, key := range order {
		pod, ok := want[key]
		if !ok {
			continue
		}
		st.log.Info("Starting static pod", zap.String("pod", key), zap.String("podUID", string(pod.UID)))
		pw := st.newWorker(pod, true)
		st.static = append(st.static, pw)
		st.createMirror(pw)
		st.sync(pw)
	}
	sort.Slice(st.static, func(i, j int) bool { return st.static[i].key < st.static[j].key })
}

// recheckManifests is the file source's periodic listing: at least
// FileCheckFrequency after the last one, if the disk changed since (a write
// that came without an inotify event), the manifests are read again. It
// runs on the node status tick.
func (st *state) recheckManifests() {
	if st.cfg.Disk == nil || !st.staticRead || st.c.Now()-st.staticChecked < FileCheckFrequency {
		return
	}
	if st.cfg.Disk.Version() == st.staticVersion {
		st.staticChecked = st.c.Now()
		return
	}
	st.reconcileStatic()
}

// stopStatic stops a static pod whose manifest changed or went: its
// containers are killed, and its mirror pod deleted.
func (st *state) stopStatic(pw *podWorker) {
	st.stopPrograms(pw)
	st.forget(pw)
	if pw.api != nil && st.registered {
		zero := int64(0)
		if _, err := st.cl.Delete("pods", pw.ns, pw.name, client.DeleteOptions{GracePeriodSeconds: &zero}); err != nil && !apierrors.IsNotFound(err) {
			st.log.Warn("Failed deleting a mirror pod", zap.String("pod", pw.key), zap.Error(err))
		}
	}
}

// startProgram runs the program of a static pod's container; it reports
// false when the program ended at once (the container exits).
func (st *state) startProgram(pw *podWorker, c *container) bool {
	if !pw.static || st.cfg.Programs == nil || c.init {
		return true
	}
	err := st.cfg.Programs.Start(st.c, pw.pod, c.spec.Name)
	if err == nil {
		return true
	}
	exit, ok := err.(*ProgramExit)
	if !ok {
		exit = &ProgramExit{Code: 1, Log: []string{err.Error()}}
	}
	st.appendLog(pw, c, exit.Log...)
	st.finish(pw, c, exit.Code, exit.Reason)
	st.timer(pw, 0, kindPodSync, podTimer{what: "program exited"})
	return false
}

// stopProgram stops the program of a container that stopped.
func (st *state) stopProgram(pw *podWorker, c *container) {
	if pw.static && st.cfg.Programs != nil && !c.init {
		st.cfg.Programs.Stop(st.c, pw.pod, c.spec.Name)
	}
}

func (st *state) stopPrograms(pw *podWorker) {
	for _, c := range pw.ctrs {
		if c.cur != nil && !c.cur.finished {
			st.stopProgram(pw, c)
		}
	}
}

// retryMirror tries again to publish a static pod's mirror pod (the
// apiserver was not reachable when the pod started), as the kubelet does
// on its pod syncs.
func (st *state) retryMirror(pw *podWorker) {
	st.timer(pw, 10*time.Second, kindPodSync, podTimer{what: "mirror pod"})
}
