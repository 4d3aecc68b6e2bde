package cluster

import (
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/kubelet"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBootWritesTheKubeadmLayout(t *testing.T) {
	c, err := New(Config{Seed: 1, Workers: []string{"worker-1"}})
	require.NoError(t, err)
	defer c.Stop()
	cp := c.NodeFS("cp-1")
	for _, p := range []string{"/etc/kubernetes/manifests/etcd.yaml", "/etc/kubernetes/manifests/kube-apiserver.yaml",
		"/etc/kubernetes/manifests/kube-controller-manager.yaml", "/etc/kubernetes/manifests/kube-scheduler.yaml",
		"/etc/kubernetes/admin.conf", "/etc/kubernetes/kubelet.conf", "/etc/kubernetes/controller-manager.conf",
		"/etc/kubernetes/scheduler.conf", KubeletConfig, CNIConfig, ResolvConf} {
		assert.True(t, cp.Exists(p), p)
	}
	_, mounted := cp.Mounted(EtcdDataDir)
	assert.True(t, mounted, "etcd's data directory")
	w := c.NodeFS("worker-1")
	assert.False(t, w.Exists("/etc/kubernetes/manifests/etcd.yaml"), "a worker runs no control plane")
	assert.True(t, w.IsDir(ManifestsDir))
	kc, err := w.ReadFile(KubeletConfig)
	require.NoError(t, err)
	assert.Contains(t, string(kc), "cgroupDriver: systemd")
	assert.Contains(t, string(kc), "staticPodPath: /etc/kubernetes/manifests")
	data, err := cp.ReadFile("/etc/kubernetes/manifests/kube-apiserver.yaml")
	require.NoError(t, err)
	assert.Contains(t, string(data), "--etcd-servers=https://127.0.0.1:2379")
}

// edit rewrites a manifest on cp-1 through the node's init system.
func edit(t *testing.T, c *Cluster, file string, change func(string) string) {
	t.Helper()
	p := ManifestsDir + "/" + file
	data, err := c.NodeFS("cp-1").ReadFile(p)
	require.NoError(t, err)
	after := change(string(data))
	require.NotEqual(t, string(data), after, "the edit changes the file")
	_, err = c.NodeExec("cp-1", NodeCommand{Op: OpWrite, Path: p, Data: []byte(after)})
	require.NoError(t, err)
}

func containerLog(c *Cluster, pod, ctr string) string {
	lines, _ := c.Kubelets[0].Logs("kube-system", pod, ctr, false)
	return strings.Join(lines, "\n")
}

func TestStaticPodsFollowTheirManifests(t *testing.T) {
	c, err := New(Config{Seed: 2, Workers: []string{}})
	require.NoError(t, err)
	defer c.Stop()
	c.K.RunFor(5 * time.Second)
	require.True(t, c.K.Running("kube-scheduler-cp-1"))
	orig, err := c.NodeFS("cp-1").ReadFile(ManifestsDir + "/kube-scheduler.yaml")
	require.NoError(t, err)

	// A mistyped flag: the kubelet restarts the pod, the binary refuses it.
	edit(t, c, "kube-scheduler.yaml", func(s string) string { return strings.Replace(s, "--leader-elect=true", "--leader-elct=true", 1) })
	c.K.RunFor(3 * time.Second)
	assert.False(t, c.K.Running("kube-scheduler-cp-1"), "the scheduler's program is not running")
	assert.Contains(t, containerLog(c, "kube-scheduler-cp-1", "kube-scheduler"), "Error: unknown flag: --leader-elct")
	obj, err := c.Admin.Get("pods", "kube-system", "kube-scheduler-cp-1")
	require.NoError(t, err)
	pod := obj.(*api.Pod)
	require.Len(t, pod.Status.ContainerStatuses, 1)
	cs := pod.Status.ContainerStatuses[0]
	exited := cs.State.Terminated != nil || (cs.LastTerminationState.Terminated != nil && cs.LastTerminationState.Terminated.ExitCode == 1)
	assert.True(t, exited, "the container exited: %+v", cs)

	// Put it back: it runs again.
	edit(t, c, "kube-scheduler.yaml", func(string) string { return string(orig) })
	c.K.RunFor(3 * time.Second)
	assert.True(t, c.K.Running("kube-scheduler-cp-1"), "the fixed manifest runs")

	// A manifest that does not parse is logged and not run.
	edit(t, c, "kube-scheduler.yaml", func(s string) string { return s + "  - this is: [not yaml\n" })
	c.K.RunFor(3 * time.Second)
	assert.False(t, c.K.Running("kube-scheduler-cp-1"))
	logs := strings.Join(c.K.Logs(kubelet.ActorName("cp-1")), "\n")
	assert.Contains(t, logs, "Could not process manifest file")
	assert.Contains(t, logs, "couldn't parse as pod")

	// Moving the manifest away stops the pod; moving it back starts it.
	edit(t, c, "kube-scheduler.yaml", func(string) string { return string(orig) })
	c.K.RunFor(3 * time.Second)
	require.True(t, c.K.Running("kube-scheduler-cp-1"))
	_, err = c.NodeExec("cp-1", NodeCommand{Op: OpRename, Path: ManifestsDir + "/kube-scheduler.yaml", To: "/root/kube-scheduler.yaml"})
	require.NoError(t, err)
	c.K.RunFor(3 * time.Second)
	assert.False(t, c.K.Running("kube-scheduler-cp-1"), "no manifest, no scheduler")
	_, err = c.Admin.Get("pods", "kube-system", "kube-scheduler-cp-1")
	assert.Error(t, err, "the mirror pod went with it")
	_, err = c.NodeExec("cp-1", NodeCommand{Op: OpRename, Path: "/root/kube-scheduler.yaml", To: ManifestsDir + "/kube-scheduler.yaml"})
	require.NoError(t, err)
	c.K.RunFor(3 * time.Second)
	assert.True(t, c.K.Running("kube-scheduler-cp-1"))
}

func TestAWrongEtcdServersFlagCutsTheAPIServerOff(t *testing.T) {
	c, err := New(Config{Seed: 3, Workers: []string{}})
	require.NoError(t, err)
	defer c.Stop()
	c.K.RunFor(5 * time.Second)
	edit(t, c, "kube-apiserver.yaml", func(s string) string {
		return strings.Replace(s, "--etcd-servers=https://127.0.0.1:2379", "--etcd-servers=https://127.0.0.1:2380", 1)
	})
	c.K.RunFor(5 * time.Second)
	require.True(t, c.K.Running("kube-apiserver-cp-1"), "the apiserver runs")
	_, err = c.Admin.Get("namespaces", "", "default")
	assert.Error(t, err, "but cannot reach etcd")

	edit(t, c, "kube-apiserver.yaml", func(s string) string {
		return strings.Replace(s, "--etcd-servers=https://127.0.0.1:2380", "--etcd-servers=https://127.0.0.1:2379", 1)
	})
	ok := c.WaitFor(func() bool { _, err := c.Admin.Get("namespaces", "", "default"); return err == nil }, time.Minute)
	assert.True(t, ok, "the fixed flag brings it back")
}

// A node that reboots starts every program it had; the kubelet stops those
// whose manifest is gone.
func TestARebootRunsOnlyWhatTheManifestsSay(t *testing.T) {
	c, err := New(Config{Seed: 4, Workers: []string{}, ControlPlanes: []string{"cp-1", "cp-2", "cp-3"}})
	require.NoError(t, err)
	defer c.Stop()
	c.K.RunFor(5 * time.Second)
	_, err = c.NodeExec("cp-2", NodeCommand{Op: OpRename, Path: ManifestsDir + "/kube-scheduler.yaml", To: "/root/kube-scheduler.yaml"})
	require.NoError(t, err)
	c.K.RunFor(3 * time.Second)
	require.False(t, c.K.Running("kube-scheduler-cp-2"))
	require.NoError(t, c.K.StopNode("cp-2"))
	c.K.RunFor(time.Second)
	require.NoError(t, c.K.StartNode("cp-2"))
	c.K.RunFor(5 * time.Second)
	assert.False(t, c.K.Running("kube-scheduler-cp-2"), "no manifest, no scheduler, after the reboot too")
	assert.True(t, c.K.Running("kube-apiserver-cp-2"))
	for _, u := range c.Units("cp-2") {
		assert.True(t, u.Active, "%s runs again after the reboot", u.Name)
	}
}

// A write that comes without an inotify event (straight to the disk) is
// found by the file source's periodic listing, within fileCheckFrequency
// and a node status period.
func TestTheKubeletRelistsItsManifests(t *testing.T) {
	c, err := New(Config{Seed: 5, Workers: []string{}})
	require.NoError(t, err)
	defer c.Stop()
	c.K.RunFor(5 * time.Second)
	require.NoError(t, c.NodeFS("cp-1").Rename(ManifestsDir+"/kube-scheduler.yaml", "/root/kube-scheduler.yaml"))
	c.K.RunFor(time.Second)
	assert.True(t, c.K.Running("kube-scheduler-cp-1"), "no inotify event: not noticed yet")
	c.K.RunFor(kubelet.FileCheckFrequency + 15*time.Second)
	assert.False(t, c.K.Running("kube-scheduler-cp-1"), "the periodic listing noticed")
}

// A mistyped image is not in the registry: the pull fails, and the
// control-plane program it stood for does not run.
func TestAWrongImageStopsTheComponent(t *testing.T) {
	c, err := New(Config{Seed: 6, Workers: []string{}, ControlPlanes: []string{"cp-1", "cp-2", "cp-3"}})
	require.NoError(t, err)
	defer c.Stop()
	c.K.RunFor(5 * time.Second)
	edit(t, c, "kube-controller-manager.yaml", func(s string) string {
		return strings.Replace(s, "registry.k8s.io/kube-controller-manager:v1.32.4", "registry.k8s.io/kube-controller-manager:v1.32.44x", 1)
	})
	c.K.RunFor(5 * time.Second)
	assert.False(t, c.K.Running("kube-controller-manager-cp-1"))
	obj, err := c.Admin.Get("pods", "kube-system", "kube-controller-manager-cp-1")
	require.NoError(t, err)
	cs := obj.(*api.Pod).Status.ContainerStatuses
	require.Len(t, cs, 1)
	require.NotNil(t, cs[0].State.Waiting)
	assert.Contains(t, []string{"ErrImagePull", "ImagePullBackOff"}, cs[0].State.Waiting.Reason)
}

// The kubelet reports its node Ready only while the runtime finds a CNI
// configuration: without Cilium's 05-cilium.conflist the node goes
// NotReady with containerd's message, and comes back when it is there.
func TestNodeReadyNeedsTheCNIConfig(t *testing.T) {
	c, err := New(Config{Seed: 3})
	require.NoError(t, err)
	defer c.Stop()
	require.True(t, c.WaitFor(c.NodesReady, time.Minute))
	readyOf := func() api.NodeCondition {
		n, err := client.Get[*api.Node](c.Admin, "", "worker-1")
		require.NoError(t, err)
		for _, cond := range n.Status.Conditions {
			if cond.Type == api.NodeReady {
				return cond
			}
		}
		return api.NodeCondition{}
	}
	disk := c.nodeDisks["worker-1"]
	conf, err := disk.ReadFile(CNIConfig)
	require.NoError(t, err)
	require.NoError(t, disk.Remove(CNIConfig))
	require.True(t, c.WaitFor(func() bool { return readyOf().Status == api.ConditionFalse }, 30*time.Second))
	cond := readyOf()
	assert.Equal(t, "KubeletNotReady", cond.Reason)
	assert.Equal(t, "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized", cond.Message)

	require.NoError(t, disk.WriteFile(CNIConfig, conf, 0o644))
	require.True(t, c.WaitFor(func() bool { return readyOf().Status == api.ConditionTrue }, 30*time.Second))
	assert.Equal(t, "KubeletReady", readyOf().Reason)
}
