package nodeshell

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/scenarios/narrate"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const tls = "--cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/server.crt --key=/etc/kubernetes/pki/etcd/server.key"

func boot(t *testing.T, opts ...sim.Option) *cluster.Cluster {
	t.Helper()
	c, err := cluster.New(cluster.Config{Seed: 1, Addons: true, Options: opts})
	require.NoError(t, err)
	t.Cleanup(c.Stop)
	c.K.RunFor(40 * time.Second)
	return c
}

// TestCommands runs each command on a booted cluster and compares what it
// prints with a golden transcript (testdata/<name>.golden; -update
// rewrites them), and checks the exit status and the lines that make the
// output the tool's.
func TestCommands(t *testing.T) {
	c := boot(t)
	tests := []struct {
		name, node, line string
		wantCode         int
		want             []string // substrings of stdout+stderr
	}{
		{name: "ls", node: "cp-1", line: "ls /etc/kubernetes/manifests", want: []string{"etcd.yaml  kube-apiserver.yaml  kube-controller-manager.yaml  kube-scheduler.yaml"}},
		{name: "ls-long", node: "cp-1", line: "ls -l /etc/kubernetes", want: []string{"drwxr-xr-x 2 root root  4096", " manifests\n", "-rw------- 1 root root"}},
		{name: "ls-missing", node: "cp-1", line: "ls /nope", wantCode: 2, want: []string{"ls: cannot access '/nope': No such file or directory"}},
		{name: "cat-kubelet-config", node: "worker-1", line: "cat /var/lib/kubelet/config.yaml", want: []string{"kind: KubeletConfiguration", "cgroupDriver: systemd", "- 10.96.0.10", "staticPodPath: /etc/kubernetes/manifests"}},
		{name: "cat-cni", node: "worker-1", line: "cat /etc/cni/net.d/05-cilium.conflist", want: []string{`"type": "cilium-cni"`}},
		{name: "cat-missing", node: "cp-1", line: "cat /etc/kubernetes/nope.conf", wantCode: 1, want: []string{"cat: /etc/kubernetes/nope.conf: No such file or directory"}},
		{name: "grep-flag", node: "cp-1", line: "grep -n etcd-servers /etc/kubernetes/manifests/kube-apiserver.yaml", want: []string{"- --etcd-servers=https://127.0.0.1:2379"}},
		{name: "grep-recursive", node: "cp-1", line: "grep -r server: /etc/kubernetes", want: []string{"/etc/kubernetes/admin.conf:    server: https://172.18.0.2:6443"}},
		{name: "grep-nomatch", node: "cp-1", line: "grep nothing-like-this /etc/resolv.conf", wantCode: 1},
		{name: "pipe-wc", node: "cp-1", line: "cat /etc/kubernetes/manifests/etcd.yaml | grep -c -- --", want: []string{"\n"}},
		{name: "systemctl-status", node: "worker-1", line: "systemctl status kubelet", want: []string{"● kubelet.service - kubelet: The Kubernetes Node Agent", "Active: active (running) since", "└─10-kubeadm.conf"}},
		{name: "systemctl-unknown", node: "worker-1", line: "systemctl status docker", wantCode: 4, want: []string{"Unit docker.service could not be found."}},
		{name: "journalctl", node: "worker-1", line: "journalctl -u kubelet --no-pager | head -3", want: []string{"worker-1 kubelet[", "]: I0101 00:00:00."}},
		{name: "journalctl-since", node: "worker-1", line: "journalctl -u kubelet --since '5 min ago' | wc -l"},
		{name: "crictl-ps", node: "cp-1", line: "crictl ps", want: []string{"CONTAINER           IMAGE               CREATED             STATE               NAME", "kube-apiserver-cp-1", "Running"}},
		{name: "crictl-pods", node: "worker-1", line: "crictl pods", want: []string{"POD ID              CREATED             STATE               NAME", "(default)"}},
		{name: "crictl-logs-missing", node: "worker-1", line: "crictl logs 0123456789ab", wantCode: 1, want: []string{"NotFound"}},
		{name: "etcdctl-no-tls", node: "cp-1", line: "etcdctl member list", wantCode: 1, want: []string{"Error: context deadline exceeded"}},
		{name: "etcdctl-member-list", node: "cp-1", line: "ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 " + tls + " member list -w table",
			want: []string{"|       ID        | STATUS  |   NAME    |", "| started | etcd-cp-1 | https://172.18.0.2:2380 |"}},
		{name: "etcdctl-endpoint-status", node: "cp-1", line: "etcdctl " + tls + " endpoint status --cluster -w table", want: []string{"|        ENDPOINT         |", "| RAFT APPLIED INDEX |", "|      true |"}},
		{name: "etcdctl-endpoint-health", node: "cp-1", line: "etcdctl " + tls + " endpoint health", want: []string{"127.0.0.1:2379 is healthy: successfully committed proposal: took = "}},
		{name: "etcdctl-get-keys", node: "cp-1", line: "etcdctl " + tls + " get /registry/namespaces --prefix --keys-only", want: []string{"/registry/namespaces/kube-system\n\n"}},
		{name: "etcdctl-unknown-flag", node: "cp-1", line: "etcdctl --endpoint=x member list", wantCode: 1, want: []string{"Error: unknown flag: --endpoint"}},
		{name: "iptables-save-nat", node: "worker-1", line: "iptables-save -t nat | grep -c KUBE-SERVICES", want: []string{"\n"}},
		{name: "cilium-status", node: "worker-1", line: "cilium status", want: []string{"KVStore:", "IPAM:                  IPv4: ", "allocated from 10.0."}},
		{name: "cilium-endpoint-list", node: "worker-1", line: "cilium endpoint list", want: []string{"ENDPOINT   POLICY (ingress)   POLICY (egress)", "ENFORCEMENT"}},
		{name: "cilium-identity-list", node: "worker-1", line: "cilium identity list | head -4", want: []string{"1     reserved:host", "2     reserved:world"}},
		{name: "ip-addr", node: "worker-1", line: "ip addr", want: []string{"inet 172.18.0.3/16 brd 172.18.255.255 scope global eth0", "cilium_host@cilium_net"}},
		{name: "ip-route", node: "worker-1", line: "ip route", want: []string{"default via 172.18.0.1 dev eth0", "dev cilium_host proto kernel src", "mtu 1450"}},
		{name: "hubble", node: "worker-1", line: "hubble observe --last 2"},
		{name: "not-found", node: "cp-1", line: "kubeadm reset", wantCode: 127, want: []string{"bash: kubeadm: command not found"}},
		{name: "redirect", node: "cp-1", line: "echo x > /etc/hosts", wantCode: 2, want: []string{"use edit FILE"}},
		{name: "no-such-node", node: "worker-9", line: "ls", wantCode: 255, want: []string{"ssh: Could not resolve hostname worker-9"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Run(c, tt.node, tt.line)
			got := r.Stdout + r.Stderr
			assert.Equal(t, tt.wantCode, r.Code, "exit status of %q: %s", tt.line, got)
			for _, w := range tt.want {
				assert.Contains(t, got, w)
			}
			golden(t, tt.name, "$ "+tt.line+"\n"+got)
		})
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name+".golden")
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(p, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(p)
	require.NoError(t, err, "run go test -update to write %s", p)
	assert.Equal(t, string(want), got)
}

func traceText(t *testing.T, c *cluster.Cluster) string {
	var b bytes.Buffer
	require.NoError(t, sim.WriteText(&b, c.K.Trace().Records()))
	return b.String()
}

// TestReadingChangesNothing runs the same cluster twice, once with every
// reading command run between steps: the traces are byte for byte equal.
func TestReadingChangesNothing(t *testing.T) {
	reads := []string{"cat /etc/kubernetes/manifests/kube-apiserver.yaml", "ls -l /etc/kubernetes", "crictl ps -a", "crictl pods",
		"journalctl -u kubelet", "systemctl status kubelet", "etcdctl " + tls + " endpoint status -w table",
		"etcdctl " + tls + " get /registry --prefix --keys-only", "iptables-save", "cilium status", "cilium endpoint list",
		"cilium identity list", "hubble observe", "ip addr", "ip route", "grep -r token /etc/kubernetes | wc -l"}
	run := func(look bool) string {
		c, err := cluster.New(cluster.Config{Seed: 4, Addons: true})
		require.NoError(t, err)
		defer c.Stop()
		for i := 0; i < 20; i++ {
			c.K.RunFor(2 * time.Second)
			if look {
				for _, l := range reads {
					Run(c, "cp-1", l)
					Run(c, "worker-1", l)
				}
			}
		}
		return traceText(t, c)
	}
	assert.Equal(t, run(false), run(true))
}

// TestChangesAreReplayed: a shell's changes are inputs of the run: replaying
// the journal on a second cluster gives the same trace.
func TestChangesAreReplayed(t *testing.T) {
	var journal []sim.Input
	a, err := cluster.New(cluster.Config{Seed: 5, Workers: []string{"worker-1"}})
	require.NoError(t, err)
	defer a.Stop()
	b, err := cluster.New(cluster.Config{Seed: 5, Workers: []string{"worker-1"}})
	require.NoError(t, err)
	defer b.Stop()
	a.K.JournalInputs(func(in sim.Input) { journal = append(journal, in) })
	a.K.RunFor(5 * time.Second)
	for _, l := range []string{"mv /etc/kubernetes/manifests/kube-scheduler.yaml /root/", "systemctl stop kubelet"} {
		r := Run(a, "cp-1", l)
		require.Equal(t, 0, r.Code, "%s: %s", l, r.Stderr)
		a.K.RunFor(3 * time.Second)
	}
	require.NoError(t, WriteFile(a, "cp-1", "/root/note.txt", []byte("hello\n")))
	a.K.RunFor(time.Second)
	require.NotEmpty(t, journal)
	for _, in := range journal {
		require.NoError(t, b.K.Replay(in))
	}
	require.NoError(t, b.K.AdvanceTo(a.K.Steps(), a.K.Now()))
	assert.True(t, traceText(t, a) == traceText(t, b), "the replayed run has the same trace")
	for _, want := range []string{"ssh-cp-1 -> systemd-cp-1 node-command: rename /etc/kubernetes/manifests/kube-scheduler.yaml /root/kube-scheduler.yaml",
		"systemd-cp-1 -> kubelet-cp-1 kubelet manifests-changed", "ssh-cp-1 -> systemd-cp-1 node-command: systemctl stop kubelet"} {
		assert.True(t, strings.Contains(traceText(t, a), want), "the trace shows %q", want)
	}
	assert.False(t, b.K.Running("kube-scheduler-cp-1"), "the replayed run lost its scheduler too")
	data, err := ReadFile(b, "cp-1", "/root/note.txt")
	require.NoError(t, err)
	assert.Equal(t, "hello\n", string(data))
}

func nodeReady(t *testing.T, c *cluster.Cluster, node string) api.ConditionStatus {
	obj, err := c.Admin.Get("nodes", "", node)
	require.NoError(t, err)
	for _, cond := range obj.(*api.Node).Status.Conditions {
		if cond.Type == api.NodeReady {
			return cond.Status
		}
	}
	return ""
}

func TestStoppingTheKubelet(t *testing.T) {
	c := boot(t)
	r := Run(c, "worker-1", "systemctl stop kubelet")
	require.Equal(t, 0, r.Code, r.Stderr)
	st := Run(c, "worker-1", "systemctl status kubelet")
	assert.Equal(t, 3, st.Code)
	assert.Contains(t, st.Stdout, "Active: inactive (dead)")
	c.K.RunFor(70 * time.Second)
	assert.Equal(t, api.ConditionUnknown, nodeReady(t, c, "worker-1"), "no status updates: the node lifecycle controller marks it Unknown after the grace period")
	assert.Contains(t, Run(c, "worker-1", "crictl ps").Stdout, "cilium-agent", "containers keep running")
	require.Equal(t, 0, Run(c, "worker-1", "systemctl start kubelet").Code)
	ok := c.WaitFor(func() bool { return nodeReady(t, c, "worker-1") == api.ConditionTrue }, time.Minute)
	assert.True(t, ok, "the kubelet reports again")
	assert.Equal(t, "active\n", Run(c, "worker-1", "systemctl is-active kubelet").Stdout)
}

func TestEditingAManifestRestartsItsPod(t *testing.T) {
	c := boot(t)
	data, err := ReadFile(c, "cp-1", "/etc/kubernetes/manifests/kube-scheduler.yaml")
	require.NoError(t, err)
	broken := strings.Replace(string(data), "--kubeconfig=/etc/kubernetes/scheduler.conf", "--kubeconfig=/etc/kubernetes/schedulr.conf", 1)
	require.NoError(t, WriteFile(c, "cp-1", "/etc/kubernetes/manifests/kube-scheduler.yaml", []byte(broken)))
	c.K.RunFor(3 * time.Second)
	ps := Run(c, "cp-1", "crictl ps -a --name kube-scheduler")
	assert.Contains(t, ps.Stdout, "Exited", "the new container exited:\n%s", ps.Stdout)
	id := strings.Fields(Run(c, "cp-1", "crictl ps -a --name kube-scheduler | grep Exited | head -1").Stdout)
	require.NotEmpty(t, id)
	logs := Run(c, "cp-1", "crictl logs "+id[0])
	assert.Contains(t, logs.Stdout, "Error: stat /etc/kubernetes/schedulr.conf: no such file or directory")
	require.NoError(t, WriteFile(c, "cp-1", "/etc/kubernetes/manifests/kube-scheduler.yaml", data))
	c.K.RunFor(3 * time.Second)
	assert.True(t, c.K.Running("kube-scheduler-cp-1"))
}

func TestSnapshotRestoreIntoANewDataDir(t *testing.T) {
	c := boot(t)
	r := Run(c, "cp-1", "etcdctl "+tls+" snapshot save /root/snap.db")
	require.Equal(t, 0, r.Code, r.Stderr)
	assert.Equal(t, "Snapshot saved at /root/snap.db\n", r.Stdout)
	st := Run(c, "cp-1", "etcdutl snapshot status /root/snap.db -w table")
	require.Equal(t, 0, st.Code, st.Stderr)
	assert.Regexp(t, `\| +HASH +\| REVISION \| TOTAL KEYS \| TOTAL SIZE \|`, st.Stdout)
	// etcdutl's table printer right-aligns every cell.
	assert.Regexp(t, `\| +[0-9a-f]{1,8} \| +\d+ \| +\d+ \| +\d+(\.\d)? [kMG]?B \|`, st.Stdout)

	_, err := c.Apply("cm.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: after-the-snapshot\n"))
	require.NoError(t, err)

	r = Run(c, "cp-1", "etcdutl snapshot restore /root/snap.db --data-dir /var/lib/etcd")
	assert.Equal(t, 1, r.Code)
	assert.Contains(t, r.Stderr, `Error: data-dir "/var/lib/etcd" exists`)
	r = Run(c, "cp-1", "ETCDCTL_API=3 etcdctl snapshot restore /root/snap.db --data-dir /var/lib/etcd-from-backup")
	require.Equal(t, 0, r.Code, r.Stderr)
	assert.Contains(t, r.Stderr, "Deprecated: Use `etcdutl snapshot restore` instead.")
	assert.True(t, c.NodeFS("cp-1").IsDir("/var/lib/etcd-from-backup"))

	// --bump-revision and --mark-compacted go together, as etcdutl wants.
	for _, flags := range []string{"--bump-revision 1000000000", "--mark-compacted"} {
		r = Run(c, "cp-1", "etcdutl snapshot restore /root/snap.db --data-dir /var/lib/etcd-bumped "+flags)
		assert.Equal(t, 128, r.Code, flags)
		assert.Equal(t, "Error: --mark-compacted required if --revision-bump > 0\n", r.Stderr, flags)
	}
	r = Run(c, "cp-1", "etcdutl snapshot restore /root/snap.db --data-dir /var/lib/etcd-bumped --bump-revision=x --mark-compacted")
	assert.Equal(t, 1, r.Code)
	assert.Contains(t, r.Stderr, `invalid argument "x" for "--bump-revision" flag`)
	assert.False(t, c.NodeFS("cp-1").Exists("/var/lib/etcd-bumped"), "a refused restore writes nothing")
	r = Run(c, "cp-1", "etcdutl snapshot restore /root/snap.db --data-dir /var/lib/etcd-bumped --bump-revision 1000000000 --mark-compacted")
	require.Equal(t, 0, r.Code, r.Stderr)
	assert.True(t, c.NodeFS("cp-1").IsDir("/var/lib/etcd-bumped"))

	data, err := ReadFile(c, "cp-1", "/etc/kubernetes/manifests/etcd.yaml")
	require.NoError(t, err)
	require.NoError(t, WriteFile(c, "cp-1", "/etc/kubernetes/manifests/etcd.yaml",
		[]byte(strings.Replace(string(data), "--data-dir=/var/lib/etcd\n", "--data-dir=/var/lib/etcd-from-backup\n", 1))))
	gone := c.WaitFor(func() bool {
		_, err := c.Admin.Get("configmaps", "default", "after-the-snapshot")
		return err != nil && strings.Contains(err.Error(), "not found")
	}, 2*time.Minute)
	assert.True(t, gone, "etcd serves the restored data: what came after the snapshot is gone")
	_, err = c.Admin.Get("namespaces", "", "kube-system")
	assert.NoError(t, err, "and what was before it is there")
}

// The shell's changes are narrated from their typed records.
func TestChangesAreNarrated(t *testing.T) {
	c, err := cluster.New(cluster.Config{Seed: 6, Workers: []string{}})
	require.NoError(t, err)
	defer c.Stop()
	mark := c.K.Trace().Total()
	require.Equal(t, 0, Run(c, "cp-1", "mv /etc/kubernetes/manifests/kube-scheduler.yaml /root/").Code)
	require.Equal(t, 0, Run(c, "cp-1", "systemctl restart kubelet").Code)
	c.K.RunFor(time.Second)
	var en, ko []string
	for _, r := range c.K.Trace().Since(mark) {
		en, ko = append(en, narrate.Line(r, narrate.English)), append(ko, narrate.Line(r, narrate.Korean))
	}
	all := strings.Join(en, "\n")
	assert.Contains(t, all, "On cp-1, root moves /etc/kubernetes/manifests/kube-scheduler.yaml to /root/kube-scheduler.yaml.")
	assert.Contains(t, all, "inotify tells the kubelet on cp-1 that /etc/kubernetes/manifests/kube-scheduler.yaml changed")
	assert.Contains(t, all, "On cp-1, systemd restarts the kubelet unit.")
	assert.Contains(t, strings.Join(ko, "\n"), "cp-1에서 systemd가 kubelet 유닛을 재시작합니다.")
}

// Changes made through the shell give the same trace at any GOMAXPROCS.
func TestChangesAreDeterministicAcrossGOMAXPROCS(t *testing.T) {
	run := func(procs int) string {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		c, err := cluster.New(cluster.Config{Seed: 7, Addons: true})
		require.NoError(t, err)
		defer c.Stop()
		c.K.RunFor(20 * time.Second)
		data, err := ReadFile(c, "cp-1", "/etc/kubernetes/manifests/kube-apiserver.yaml")
		require.NoError(t, err)
		require.NoError(t, WriteFile(c, "cp-1", "/etc/kubernetes/manifests/kube-apiserver.yaml",
			[]byte(strings.Replace(string(data), "--etcd-servers=https://127.0.0.1:2379", "--etcd-servers=https://127.0.0.1:2380", 1))))
		c.K.RunFor(10 * time.Second)
		require.Equal(t, 0, Run(c, "worker-1", "systemctl stop kubelet").Code)
		require.NoError(t, WriteFile(c, "cp-1", "/etc/kubernetes/manifests/kube-apiserver.yaml", data))
		c.K.RunFor(30 * time.Second)
		require.Equal(t, 0, Run(c, "worker-1", "systemctl start kubelet").Code)
		c.K.RunFor(20 * time.Second)
		return traceText(t, c)
	}
	one := run(1)
	assert.True(t, one == run(4), "the same trace at GOMAXPROCS 1 and 4")
	assert.True(t, strings.Contains(one, "node-command: systemctl start kubelet"), "the run has the shell's changes")
}

// A static pod written on a worker runs there and shows as a mirror pod.
func TestAStaticPodOnAWorker(t *testing.T) {
	c := boot(t)
	manifest := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: static-web\nspec:\n  containers:\n  - name: web\n    image: nginx:1.27\n"
	require.NoError(t, WriteFile(c, "worker-1", "/etc/kubernetes/manifests/static-web.yaml", []byte(manifest)))
	ok := c.WaitFor(func() bool {
		obj, err := c.Admin.Get("pods", "default", "static-web-worker-1")
		return err == nil && obj.(*api.Pod).Status.Phase == api.PodRunning
	}, time.Minute)
	assert.True(t, ok, "the mirror pod static-web-worker-1 is Running")
	assert.Contains(t, Run(c, "worker-1", "crictl ps --name web").Stdout, "static-web-worker-1")
	require.Equal(t, 0, Run(c, "worker-1", "rm /etc/kubernetes/manifests/static-web.yaml").Code)
	gone := c.WaitFor(func() bool { _, err := c.Admin.Get("pods", "default", "static-web-worker-1"); return err != nil }, time.Minute)
	assert.True(t, gone, "removing the manifest removes the pod")
}

func TestKubectlOnTheNode(t *testing.T) {
	c := boot(t)
	r := Run(c, "cp-1", "kubectl get nodes")
	require.Equal(t, 0, r.Code, r.Stderr)
	assert.Contains(t, r.Stdout, "worker-1")
	r = Run(c, "worker-1", "kubectl get pods")
	assert.Equal(t, 1, r.Code)
	assert.Contains(t, r.Stderr, "The connection to the server localhost:8080 was refused - did you specify the right host or port?")
	r = Run(c, "worker-1", "kubectl --kubeconfig /etc/kubernetes/kubelet.conf get nodes")
	assert.Equal(t, 0, r.Code, r.Stderr)
	require.Equal(t, 0, Run(c, "cp-1", "mv /etc/kubernetes/manifests/kube-apiserver.yaml /root/").Code)
	c.K.RunFor(2 * time.Second)
	r = Run(c, "cp-1", "kubectl get pods -A")
	assert.Equal(t, 1, r.Code)
	assert.Equal(t, "The connection to the server 172.18.0.2:6443 was refused - did you specify the right host or port?\n", r.Stderr)
	ps := Run(c, "cp-1", "crictl ps").Stdout
	assert.Contains(t, ps, "etcd-cp-1", "crictl still answers: it talks to containerd")
	assert.NotContains(t, ps, "kube-apiserver-cp-1")
}

// cilium endpoint list shows policy enforcement as the policies say.
func TestEndpointListShowsEnforcement(t *testing.T) {
	c := boot(t)
	_, err := c.Apply("web.yaml", []byte(`apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  containers: [{name: web, image: nginx:1.27}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-ingress}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
`))
	require.NoError(t, err)
	var node string
	require.True(t, c.WaitFor(func() bool {
		obj, err := c.Admin.Get("pods", "default", "web")
		if err != nil || obj.(*api.Pod).Status.PodIP == "" {
			return false
		}
		node = obj.(*api.Pod).Spec.NodeName
		return true
	}, time.Minute))
	c.K.RunFor(2 * time.Second)
	var row string
	for _, l := range strings.Split(Run(c, node, "cilium endpoint list").Stdout, "\n") {
		if strings.Contains(l, "k8s:app=web") {
			row = l
		}
	}
	require.NotEmpty(t, row, "the web endpoint is listed")
	f := strings.Fields(row)
	assert.Equal(t, []string{"Enabled", "Disabled"}, f[1:3], "ingress enforced, egress not: %s", row)
}
