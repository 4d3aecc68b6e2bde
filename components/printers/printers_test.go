package printers

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var now = time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)

func ago(d time.Duration) api.Time { return api.NewTime(now.Add(-d)) }

func ptr[T any](v T) *T { return &v }

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create %s", path)
	assert.Equal(t, string(want), string(got))
}

func TestHumanDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{-2 * time.Second, "<invalid>"},
		{-500 * time.Millisecond, "0s"},
		{0, "0s"},
		{45 * time.Second, "45s"},
		{119 * time.Second, "119s"},
		{2 * time.Minute, "2m"},
		{5*time.Minute + 30*time.Second, "5m30s"},
		{10*time.Minute + 30*time.Second, "10m"},
		{179 * time.Minute, "179m"},
		{3*time.Hour + 12*time.Minute, "3h12m"},
		{5 * time.Hour, "5h"},
		{8*time.Hour + 30*time.Minute, "8h"},
		{47 * time.Hour, "47h"},
		{48 * time.Hour, "2d"},
		{52 * time.Hour, "2d4h"},
		{9 * 24 * time.Hour, "9d"},
		{400 * 24 * time.Hour, "400d"},
		{(2*365 + 20) * 24 * time.Hour, "2y20d"},
		{10 * 365 * 24 * time.Hour, "10y"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, HumanDuration(tt.d), "%v", tt.d)
	}
	assert.Equal(t, "<unknown>", Age(api.Time{}, now))
}

func running(name string, restarts int32) api.ContainerStatus {
	return api.ContainerStatus{Name: name, Ready: true, RestartCount: restarts, State: api.ContainerState{Running: &api.ContainerStateRunning{StartedAt: ago(time.Hour)}}}
}

func waiting(name, reason string) api.ContainerStatus {
	return api.ContainerStatus{Name: name, State: api.ContainerState{Waiting: &api.ContainerStateWaiting{Reason: reason}}}
}

func terminated(name string, code int32, reason string) api.ContainerStatus {
	return api.ContainerStatus{Name: name, State: api.ContainerState{Terminated: &api.ContainerStateTerminated{ExitCode: code, Reason: reason}}}
}

func pod(name string, mutate func(*api.Pod)) *api.Pod {
	p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default", CreationTimestamp: ago(5 * time.Minute), Labels: map[string]string{"app": "web"}},
		Spec: api.PodSpec{Containers: []api.Container{{Name: "main", Image: "nginx:1.27"}}}}
	mutate(p)
	return p
}

func podFixtures() []api.Object {
	always := api.ContainerRestartPolicy("Always")
	return []api.Object{
		pod("pending", func(p *api.Pod) { p.Status.Phase = api.PodPending }),
		pod("creating", func(p *api.Pod) {
			p.Spec.NodeName = "worker-1"
			p.Status.Phase = api.PodPending
			p.Status.ContainerStatuses = []api.ContainerStatus{waiting("main", "ContainerCreating")}
		}),
		pod("web-1", func(p *api.Pod) {
			p.Spec.NodeName = "worker-1"
			p.Status = api.PodStatus{Phase: api.PodRunning, PodIP: "10.0.1.5", ContainerStatuses: []api.ContainerStatus{running("main", 0)},
				Conditions: []api.PodCondition{{Type: api.PodReady, Status: api.ConditionTrue}}}
		}),
		pod("crashing", func(p *api.Pod) {
			p.Spec.NodeName = "worker-2"
			cs := waiting("main", "CrashLoopBackOff")
			cs.RestartCount = 4
			cs.LastTerminationState.Terminated = &api.ContainerStateTerminated{ExitCode: 1, Reason: "Error", FinishedAt: ago(40 * time.Second)}
			p.Status = api.PodStatus{Phase: api.PodRunning, PodIP: "10.0.2.7", ContainerStatuses: []api.ContainerStatus{cs}}
		}),
		pod("job-done", func(p *api.Pod) {
			p.Spec.NodeName = "worker-2"
			p.Status = api.PodStatus{Phase: api.PodSucceeded, ContainerStatuses: []api.ContainerStatus{terminated("main", 0, "Completed")}}
		}),
		pod("init-wait", func(p *api.Pod) {
			p.Spec.NodeName = "worker-1"
			p.Spec.InitContainers = []api.Container{{Name: "setup", Image: "busybox"}}
			p.Status = api.PodStatus{Phase: api.PodPending,
				InitContainerStatuses: []api.ContainerStatus{waiting("setup", "PodInitializing")},
				ContainerStatuses:     []api.ContainerStatus{waiting("main", "PodInitializing")}}
		}),
		pod("init-failed", func(p *api.Pod) {
			p.Spec.NodeName = "worker-1"
			p.Spec.InitContainers = []api.Container{{Name: "setup", Image: "busybox"}}
			p.Status = api.PodStatus{Phase: api.PodPending, InitContainerStatuses: []api.ContainerStatus{terminated("setup", 2, "")}}
		}),
		pod("sidecar", func(p *api.Pod) {
			p.Spec.NodeName = "worker-1"
			p.Spec.InitContainers = []api.Container{{Name: "proxy", Image: "envoy", RestartPolicy: &always}}
			started := true
			sc := running("proxy", 1)
			sc.Started = &started
			p.Status = api.PodStatus{Phase: api.PodRunning, PodIP: "10.0.1.9",
				InitContainerStatuses: []api.ContainerStatus{sc},
				ContainerStatuses:     []api.ContainerStatus{running("main", 0)},
				Conditions:            []api.PodCondition{{Type: api.PodInitialized, Status: api.ConditionTrue}}}
		}),
		pod("leaving", func(p *api.Pod) {
			p.Spec.NodeName = "worker-2"
			p.DeletionTimestamp = ptr(api.NewTime(now.Add(20 * time.Second)))
			p.Status = api.PodStatus{Phase: api.PodRunning, PodIP: "10.0.2.8", ContainerStatuses: []api.ContainerStatus{running("main", 0)}}
		}),
		pod("gated", func(p *api.Pod) {
			p.Spec.ReadinessGates = []api.PodReadinessGate{{ConditionType: "example.com/lb"}}
			p.Status = api.PodStatus{Phase: api.PodPending, NominatedNodeName: "worker-2",
				Conditions: []api.PodCondition{{Type: api.PodScheduled, Status: api.ConditionFalse, Reason: api.PodReasonSchedulingGated}}}
		}),
	}
}

func TestPodStatus(t *testing.T) {
	want := map[string]struct {
		ready, reason string
		restarts      int
	}{
		"pending":     {"0/1", "Pending", 0},
		"creating":    {"0/1", "ContainerCreating", 0},
		"web-1":       {"1/1", "Running", 0},
		"crashing":    {"0/1", "CrashLoopBackOff", 4},
		"job-done":    {"0/1", "Completed", 0},
		"init-wait":   {"0/1", "Init:0/1", 0},
		"init-failed": {"0/1", "Init:ExitCode:2", 0},
		"sidecar":     {"2/2", "Running", 1},
		"leaving":     {"1/1", "Terminating", 0},
		"gated":       {"0/1", "SchedulingGated", 0},
	}
	for _, o := range podFixtures() {
		p := o.(*api.Pod)
		s := PodStatus(p)
		w := want[p.Name]
		assert.Equal(t, w.reason, s.Reason, p.Name)
		assert.Equal(t, w.restarts, s.Restarts, p.Name)
		row := RowFor("pods", p, now)
		assert.Equal(t, w.ready, row.Cells[1], p.Name)
	}
}

func render(t *testing.T, resource string, objs []api.Object, opts TextOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, WriteText(&buf, TableFor(resource, objs, now), opts))
	return buf.Bytes()
}

func TestPodsTable(t *testing.T) {
	objs := podFixtures()
	golden(t, "pods.txt", render(t, "pods", objs, TextOptions{}))
	golden(t, "pods-wide.txt", render(t, "pods", objs, TextOptions{Wide: true}))
	golden(t, "pods-all-namespaces.txt", render(t, "pods", objs[:3], TextOptions{WithNamespace: true}))
}

func TestTables(t *testing.T) {
	port := func(p int32) *int32 { return &p }
	tcp := api.ProtocolTCP
	tables := map[string][]api.Object{
		"nodes": {
			&api.Node{ObjectMeta: api.ObjectMeta{Name: "cp-1", CreationTimestamp: ago(26 * time.Hour), Labels: map[string]string{api.LabelNodeRoleControlPlane: ""}},
				Spec:   api.NodeSpec{Unschedulable: true},
				Status: api.NodeStatus{Conditions: []api.NodeCondition{{Type: api.NodeReady, Status: api.ConditionTrue}}, NodeInfo: api.NodeSystemInfo{KubeletVersion: "v1.32.4"}, Addresses: []api.NodeAddress{{Type: api.NodeInternalIP, Address: "172.18.0.2"}}}},
			&api.Node{ObjectMeta: api.ObjectMeta{Name: "worker-1", CreationTimestamp: ago(26 * time.Hour)},
				Status: api.NodeStatus{Conditions: []api.NodeCondition{{Type: api.NodeReady, Status: api.ConditionUnknown}}, NodeInfo: api.NodeSystemInfo{KubeletVersion: "v1.32.4", OSImage: "Debian GNU/Linux 12 (bookworm)", KernelVersion: "6.1.0", ContainerRuntimeVersion: "containerd://1.7.24"}}},
			&api.Node{ObjectMeta: api.ObjectMeta{Name: "worker-2", CreationTimestamp: ago(3 * time.Minute)}},
		},
		"services": {
			&api.Service{ObjectMeta: api.ObjectMeta{Name: "kubernetes", CreationTimestamp: ago(50 * time.Hour)}, Spec: api.ServiceSpec{Type: api.ServiceTypeClusterIP, ClusterIP: "10.96.0.1", ClusterIPs: []string{"10.96.0.1"}, Ports: []api.ServicePort{{Name: "https", Port: 443, Protocol: tcp}}}},
			&api.Service{ObjectMeta: api.ObjectMeta{Name: "web", CreationTimestamp: ago(time.Hour)}, Spec: api.ServiceSpec{Type: api.ServiceTypeNodePort, ClusterIPs: []string{"10.96.12.34"}, Selector: map[string]string{"app": "web"}, Ports: []api.ServicePort{{Port: 80, NodePort: 30080, Protocol: tcp}, {Port: 53, Protocol: api.ProtocolUDP}}}},
			&api.Service{ObjectMeta: api.ObjectMeta{Name: "lb", CreationTimestamp: ago(time.Hour)}, Spec: api.ServiceSpec{Type: api.ServiceTypeLoadBalancer, ClusterIPs: []string{"10.96.0.50"}, Ports: []api.ServicePort{{Port: 443, NodePort: 31443, Protocol: tcp}}}},
			&api.Service{ObjectMeta: api.ObjectMeta{Name: "ext", CreationTimestamp: ago(time.Hour)}, Spec: api.ServiceSpec{Type: api.ServiceTypeExternalName, ExternalName: "example.com"}},
		},
		"endpointslices": {
			&api.EndpointSlice{ObjectMeta: api.ObjectMeta{Name: "web-abcde", CreationTimestamp: ago(time.Hour)}, AddressType: api.AddressTypeIPv4,
				Ports:     []api.EndpointSlicePort{{Port: port(8080), Protocol: &tcp}},
				Endpoints: []api.Endpoint{{Addresses: []string{"10.0.1.5"}}, {Addresses: []string{"10.0.1.6"}}, {Addresses: []string{"10.0.2.7"}}, {Addresses: []string{"10.0.2.8"}}, {Addresses: []string{"10.0.2.9"}}}},
			&api.EndpointSlice{ObjectMeta: api.ObjectMeta{Name: "empty-xyz12", CreationTimestamp: ago(time.Hour)}, AddressType: api.AddressTypeIPv4},
		},
		"events": {
			&api.Event{ObjectMeta: api.ObjectMeta{Name: "web-1.181a", Namespace: "default"}, InvolvedObject: api.ObjectReference{Kind: "Pod", Name: "web-1"},
				Type: "Normal", Reason: "Scheduled", Message: "Successfully assigned default/web-1 to worker-1", Source: api.EventSource{Component: "default-scheduler"},
				FirstTimestamp: ago(5 * time.Minute), LastTimestamp: ago(5 * time.Minute), Count: 1},
			&api.Event{ObjectMeta: api.ObjectMeta{Name: "crashing.181b", Namespace: "default"}, InvolvedObject: api.ObjectReference{Kind: "Pod", Name: "crashing", FieldPath: "spec.containers{main}"},
				Type: "Warning", Reason: "BackOff", Message: "Back-off restarting failed container main in pod crashing_default(uid)", Source: api.EventSource{Component: "kubelet", Host: "worker-2"},
				FirstTimestamp: ago(4 * time.Minute), LastTimestamp: ago(20 * time.Second), Count: 7},
		},
		"deployments": {
			&api.Deployment{ObjectMeta: api.ObjectMeta{Name: "web", CreationTimestamp: ago(10 * time.Minute)},
				Spec:   api.DeploymentSpec{Replicas: ptr(int32(3)), Selector: &api.LabelSelector{MatchLabels: map[string]string{"app": "web"}}, Template: api.PodTemplateSpec{Spec: api.PodSpec{Containers: []api.Container{{Name: "main", Image: "nginx:1.27"}}}}},
				Status: api.DeploymentStatus{ReadyReplicas: 2, UpdatedReplicas: 3, AvailableReplicas: 2}},
		},
		"replicasets": {
			&api.ReplicaSet{ObjectMeta: api.ObjectMeta{Name: "web-6c9f8d7b5", CreationTimestamp: ago(10 * time.Minute)},
				Spec:   api.ReplicaSetSpec{Replicas: ptr(int32(3)), Selector: &api.LabelSelector{MatchLabels: map[string]string{"app": "web", "pod-template-hash": "6c9f8d7b5"}}, Template: api.PodTemplateSpec{Spec: api.PodSpec{Containers: []api.Container{{Name: "main", Image: "nginx:1.27"}}}}},
				Status: api.ReplicaSetStatus{Replicas: 3, ReadyReplicas: 2}},
		},
		"daemonsets": {
			&api.DaemonSet{ObjectMeta: api.ObjectMeta{Name: "cilium", Namespace: "kube-system", CreationTimestamp: ago(26 * time.Hour)},
				Spec:   api.DaemonSetSpec{Selector: &api.LabelSelector{MatchLabels: map[string]string{"k8s-app": "cilium"}}, Template: api.PodTemplateSpec{Spec: api.PodSpec{NodeSelector: map[string]string{"kubernetes.io/os": "linux"}, Containers: []api.Container{{Name: "cilium-agent", Image: "quay.io/cilium/cilium:v1.16.5"}}}}},
				Status: api.DaemonSetStatus{DesiredNumberScheduled: 3, CurrentNumberScheduled: 3, NumberReady: 3, UpdatedNumberScheduled: 3, NumberAvailable: 3}},
		},
		"namespaces": {
			&api.Namespace{ObjectMeta: api.ObjectMeta{Name: "default", CreationTimestamp: ago(26 * time.Hour)}, Status: api.NamespaceStatus{Phase: api.NamespaceActive}},
			&api.Namespace{ObjectMeta: api.ObjectMeta{Name: "old", CreationTimestamp: ago(3 * time.Hour)}, Status: api.NamespaceStatus{Phase: api.NamespaceTerminating}},
		},
		"leases": {
			&api.Lease{ObjectMeta: api.ObjectMeta{Name: "kube-scheduler", CreationTimestamp: ago(26 * time.Hour)}, Spec: api.LeaseSpec{HolderIdentity: ptr("cp-1_7f3c")}},
		},
		"priorityclasses": {
			&api.PriorityClass{ObjectMeta: api.ObjectMeta{Name: "high-priority", CreationTimestamp: ago(time.Minute)}, Value: 1000000, PreemptionPolicy: ptr(api.PreemptNever)},
			&api.PriorityClass{ObjectMeta: api.ObjectMeta{Name: "system-node-critical", CreationTimestamp: ago(26 * time.Hour)}, Value: 2000001000, GlobalDefault: true},
		},
		"configmaps": {
			&api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: "coredns", CreationTimestamp: ago(26 * time.Hour)}, Data: map[string]string{"Corefile": "."}},
		},
		"serviceaccounts": {
			&api.ServiceAccount{ObjectMeta: api.ObjectMeta{Name: "default", CreationTimestamp: ago(26 * time.Hour)}},
		},
		"networkpolicies": {
			&api.NetworkPolicy{ObjectMeta: api.ObjectMeta{Name: "deny-all", CreationTimestamp: ago(time.Minute)}},
			&api.NetworkPolicy{ObjectMeta: api.ObjectMeta{Name: "web", CreationTimestamp: ago(time.Minute)}, Spec: api.NetworkPolicySpec{PodSelector: api.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}},
		},
		"poddisruptionbudgets": {
			&api.PodDisruptionBudget{ObjectMeta: api.ObjectMeta{Name: "zk-pdb", CreationTimestamp: ago(time.Minute)}, Spec: api.PodDisruptionBudgetSpec{MinAvailable: api.IntOrStringPtr(api.FromInt32(2))}, Status: api.PodDisruptionBudgetStatus{DisruptionsAllowed: 1}},
			&api.PodDisruptionBudget{ObjectMeta: api.ObjectMeta{Name: "web", CreationTimestamp: ago(time.Minute)}, Spec: api.PodDisruptionBudgetSpec{MaxUnavailable: api.IntOrStringPtr(api.FromString("25%"))}},
		},
		"ciliumnetworkpolicies": {
			&api.CiliumNetworkPolicy{ObjectMeta: api.ObjectMeta{Name: "rule1", CreationTimestamp: ago(time.Minute)}, Status: api.CiliumNetworkPolicyStatus{Conditions: []api.CiliumPolicyCondition{{Type: "Valid", Status: api.ConditionTrue}}}},
		},
		"ciliumendpoints": {
			&api.CiliumEndpoint{ObjectMeta: api.ObjectMeta{Name: "web-1"}, Status: api.CiliumEndpointStatus{ID: 1234, State: "ready", Identity: &api.CiliumEndpointIdentity{ID: 48213}, Networking: &api.CiliumEndpointNetworking{Addressing: []api.CiliumAddressPair{{IPv4: "10.0.1.5"}}}}},
		},
		"ciliumnodes": {
			&api.CiliumNode{ObjectMeta: api.ObjectMeta{Name: "worker-1", CreationTimestamp: ago(26 * time.Hour)}, Spec: api.CiliumNodeSpec{Addresses: []api.CiliumNodeAddress{{Type: "InternalIP", IP: "172.18.0.3"}, {Type: "CiliumInternalIP", IP: "10.0.1.1"}}}},
		},
		"ciliumidentities": {
			&api.CiliumIdentity{ObjectMeta: api.ObjectMeta{Name: "48213", CreationTimestamp: ago(time.Hour), Labels: map[string]string{"io.kubernetes.pod.namespace": "default"}}},
		},
		"clusterroles": {
			&api.ClusterRole{ObjectMeta: api.ObjectMeta{Name: "cluster-admin", CreationTimestamp: ago(time.Hour)}},
		},
		"horizontalpodautoscalers": {
			&api.HorizontalPodAutoscaler{ObjectMeta: api.ObjectMeta{Name: "php-apache", CreationTimestamp: ago(3 * time.Minute)},
				Spec: api.HorizontalPodAutoscalerSpec{ScaleTargetRef: api.CrossVersionObjectReference{Kind: "Deployment", Name: "php-apache"}, MinReplicas: ptr(int32(1)), MaxReplicas: 10,
					Metrics: []api.MetricSpec{{Type: api.ResourceMetricSourceType, Resource: &api.ResourceMetricSource{Name: api.ResourceCPU, Target: api.MetricTarget{Type: api.UtilizationMetricType, AverageUtilization: ptr(int32(50))}}}}},
				Status: api.HorizontalPodAutoscalerStatus{CurrentReplicas: 4, CurrentMetrics: []api.MetricStatus{{Type: api.ResourceMetricSourceType, Resource: &api.ResourceMetricStatus{Name: api.ResourceCPU, Current: api.MetricValueStatus{AverageUtilization: ptr(int32(73))}}}}}},
			&api.HorizontalPodAutoscaler{ObjectMeta: api.ObjectMeta{Name: "fresh", CreationTimestamp: ago(10 * time.Second)},
				Spec: api.HorizontalPodAutoscalerSpec{ScaleTargetRef: api.CrossVersionObjectReference{Kind: "Deployment", Name: "web"}, MaxReplicas: 3,
					Metrics: []api.MetricSpec{{Type: api.ResourceMetricSourceType, Resource: &api.ResourceMetricSource{Name: api.ResourceCPU, Target: api.MetricTarget{Type: api.UtilizationMetricType, AverageUtilization: ptr(int32(80))}}}}}},
			&api.HorizontalPodAutoscaler{ObjectMeta: api.ObjectMeta{Name: "none", CreationTimestamp: ago(time.Hour)},
				Spec: api.HorizontalPodAutoscalerSpec{ScaleTargetRef: api.CrossVersionObjectReference{Kind: "ReplicaSet", Name: "rs"}, MinReplicas: ptr(int32(2)), MaxReplicas: 5}},
		},
		"jobs": {
			&api.Job{ObjectMeta: api.ObjectMeta{Name: "pi", CreationTimestamp: ago(5 * time.Minute)}, Spec: api.JobSpec{Completions: ptr(int32(1)), Parallelism: ptr(int32(1))},
				Status: api.JobStatus{Succeeded: 1, StartTime: ptr(ago(5 * time.Minute)), CompletionTime: ptr(ago(5*time.Minute - 47*time.Second)), Conditions: []api.JobCondition{{Type: api.JobSuccessCriteriaMet, Status: api.ConditionTrue}, {Type: api.JobComplete, Status: api.ConditionTrue}}}},
			&api.Job{ObjectMeta: api.ObjectMeta{Name: "fails", CreationTimestamp: ago(3 * time.Minute)}, Spec: api.JobSpec{Completions: ptr(int32(2))},
				Status: api.JobStatus{Failed: 7, StartTime: ptr(ago(3 * time.Minute)), Conditions: []api.JobCondition{{Type: api.JobFailed, Status: api.ConditionTrue, Reason: api.JobReasonBackoffLimitExceeded}}}},
			&api.Job{ObjectMeta: api.ObjectMeta{Name: "queue", CreationTimestamp: ago(time.Minute)}, Spec: api.JobSpec{Parallelism: ptr(int32(3))},
				Status: api.JobStatus{Active: 3, StartTime: ptr(ago(time.Minute))}},
			&api.Job{ObjectMeta: api.ObjectMeta{Name: "new", CreationTimestamp: ago(time.Second)}, Spec: api.JobSpec{Parallelism: ptr(int32(1))}},
		},
		"cronjobs": {
			&api.CronJob{ObjectMeta: api.ObjectMeta{Name: "hello", CreationTimestamp: ago(10 * time.Minute)}, Spec: api.CronJobSpec{Schedule: "* * * * *", Suspend: ptr(false)},
				Status: api.CronJobStatus{Active: []api.ObjectReference{{Name: "hello-29000000"}}, LastScheduleTime: ptr(ago(20 * time.Second))}},
			&api.CronJob{ObjectMeta: api.ObjectMeta{Name: "nightly", CreationTimestamp: ago(2 * time.Hour)}, Spec: api.CronJobSpec{Schedule: "@daily", TimeZone: ptr("Asia/Seoul"), Suspend: ptr(true)}},
		},
		"persistentvolumes": {
			&api.PersistentVolume{ObjectMeta: api.ObjectMeta{Name: "task-pv-volume", CreationTimestamp: ago(time.Hour)},
				Spec: api.PersistentVolumeSpec{Capacity: api.ResourceList{api.ResourceStorage: api.MustParseQuantity("10Gi")}, AccessModes: []api.PersistentVolumeAccessMode{api.ReadWriteMany, api.ReadWriteOnce},
					PersistentVolumeReclaimPolicy: api.PersistentVolumeReclaimRetain, StorageClassName: "manual", VolumeMode: ptr(api.PersistentVolumeFilesystem),
					ClaimRef: &api.ObjectReference{Namespace: "default", Name: "task-pv-claim"}},
				Status: api.PersistentVolumeStatus{Phase: api.VolumeBound}},
			&api.PersistentVolume{ObjectMeta: api.ObjectMeta{Name: "spare", CreationTimestamp: ago(time.Minute)},
				Spec:   api.PersistentVolumeSpec{Capacity: api.ResourceList{api.ResourceStorage: api.MustParseQuantity("1Gi")}, AccessModes: []api.PersistentVolumeAccessMode{api.ReadWriteOncePod}, PersistentVolumeReclaimPolicy: api.PersistentVolumeReclaimDelete},
				Status: api.PersistentVolumeStatus{Phase: api.VolumeFailed, Reason: "VolumeFailedDelete"}},
		},
		"persistentvolumeclaims": {
			&api.PersistentVolumeClaim{ObjectMeta: api.ObjectMeta{Name: "task-pv-claim", CreationTimestamp: ago(time.Hour)},
				Spec: api.PersistentVolumeClaimSpec{VolumeName: "task-pv-volume", StorageClassName: ptr("manual"), VolumeMode: ptr(api.PersistentVolumeFilesystem),
					Resources: api.VolumeResourceRequirements{Requests: api.ResourceList{api.ResourceStorage: api.MustParseQuantity("3Gi")}}},
				Status: api.PersistentVolumeClaimStatus{Phase: api.ClaimBound, AccessModes: []api.PersistentVolumeAccessMode{api.ReadWriteOnce}, Capacity: api.ResourceList{api.ResourceStorage: api.MustParseQuantity("10Gi")}}},
			&api.PersistentVolumeClaim{ObjectMeta: api.ObjectMeta{Name: "waiting", CreationTimestamp: ago(time.Minute)},
				Spec:   api.PersistentVolumeClaimSpec{AccessModes: []api.PersistentVolumeAccessMode{api.ReadWriteOnce}, Resources: api.VolumeResourceRequirements{Requests: api.ResourceList{api.ResourceStorage: api.MustParseQuantity("1Gi")}}},
				Status: api.PersistentVolumeClaimStatus{Phase: api.ClaimPending}},
		},
		"storageclasses": {
			&api.StorageClass{ObjectMeta: api.ObjectMeta{Name: "standard", CreationTimestamp: ago(26 * time.Hour), Annotations: map[string]string{api.AnnIsDefaultStorageClass: "true"}},
				Provisioner: "rancher.io/local-path", VolumeBindingMode: ptr(api.VolumeBindingWaitForFirstConsumer)},
			&api.StorageClass{ObjectMeta: api.ObjectMeta{Name: "fast", CreationTimestamp: ago(time.Hour)}, Provisioner: "ebs.csi.aws.com",
				ReclaimPolicy: ptr(api.PersistentVolumeReclaimRetain), AllowVolumeExpansion: ptr(true)},
		},
		"bindings": { // no columns of its own: NAME AGE
			&api.Binding{ObjectMeta: api.ObjectMeta{Name: "web-1"}},
		},
	}
	for resource, objs := range tables {
		t.Run(resource, func(t *testing.T) {
			var buf bytes.Buffer
			buf.Write(render(t, resource, objs, TextOptions{}))
			buf.WriteString("--- wide\n")
			buf.Write(render(t, resource, objs, TextOptions{Wide: true}))
			golden(t, resource+".txt", buf.Bytes())
		})
	}
}

func TestColumnsMarkWideOnes(t *testing.T) {
	var names []string
	for _, c := range Columns("pods") {
		if c.Priority == 1 {
			names = append(names, c.Name)
		}
	}
	assert.Equal(t, []string{"IP", "Node", "Nominated Node", "Readiness Gates"}, names)
	assert.False(t, HasColumns("bindings"))
	assert.True(t, HasColumns("pods"))
}

func TestDescribePod(t *testing.T) {
	p := podFixtures()[3].(*api.Pod)
	p.Status.HostIP = "172.18.0.4"
	p.Status.PodIPs = []api.PodIP{{IP: p.Status.PodIP}}
	p.Status.StartTime = ptr(ago(5 * time.Minute))
	p.Spec.ServiceAccountName = "default"
	p.Spec.Containers[0].Ports = []api.ContainerPort{{ContainerPort: 80, Protocol: api.ProtocolTCP}}
	p.Spec.Tolerations = []api.Toleration{
		{Key: api.TaintNodeUnreachable, Operator: "Exists", Effect: "NoExecute", TolerationSeconds: ptr(int64(300))},
		{Key: api.TaintNodeNotReady, Operator: "Exists", Effect: "NoExecute", TolerationSeconds: ptr(int64(300))},
	}
	p.Status.Conditions = []api.PodCondition{{Type: api.PodScheduled, Status: api.ConditionTrue}, {Type: api.PodReady, Status: api.ConditionFalse}}
	events := []api.Event{
		{Type: "Warning", Reason: "BackOff", Message: "Back-off restarting failed container main", Source: api.EventSource{Component: "kubelet"}, FirstTimestamp: ago(4 * time.Minute), LastTimestamp: ago(20 * time.Second), Count: 7},
		{Type: "Normal", Reason: "Scheduled", Message: "Successfully assigned default/crashing to worker-2", Source: api.EventSource{Component: "default-scheduler"}, FirstTimestamp: ago(5 * time.Minute), LastTimestamp: ago(5 * time.Minute), Count: 1},
	}
	var buf bytes.Buffer
	require.NoError(t, DescribePod(&buf, p, events, now))
	golden(t, "describe-pod.txt", buf.Bytes())

	buf.Reset()
	require.NoError(t, DescribePod(&buf, podFixtures()[0].(*api.Pod), nil, now))
	assert.Contains(t, buf.String(), "Events:           <none>\n")
	assert.Contains(t, buf.String(), "Node:         <none>\n")
}
