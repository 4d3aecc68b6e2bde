package cluster

import (
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/kubelet"
	"github.com/kubesim/kubesim/components/metricsserver"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// PHPApache is the HorizontalPodAutoscaler walkthrough's Deployment and
// Service.
const phpApache = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: php-apache
spec:
  selector:
    matchLabels:
      run: php-apache
  template:
    metadata:
      labels:
        run: php-apache
    spec:
      containers:
      - name: php-apache
        image: registry.k8s.io/hpa-example
        ports:
        - containerPort: 80
        resources:
          limits:
            cpu: 500m
          requests:
            cpu: 200m
---
apiVersion: v1
kind: Service
metadata:
  name: php-apache
  labels:
    run: php-apache
spec:
  ports:
  - port: 80
  selector:
    run: php-apache
`

const loadGenerator = `apiVersion: v1
kind: Pod
metadata:
  name: load-generator
spec:
  restartPolicy: Never
  containers:
  - name: load-generator
    image: busybox:1.28
    command: ["/bin/sh", "-c", "while sleep 0.01; do wget -q -O- http://php-apache; done"]
`

func containerCPU(t *testing.T, c *Cluster, pod string) (cpu int64, at time.Duration) {
	t.Helper()
	p, err := client.Get[*api.Pod](c.Admin, "default", pod)
	require.NoError(t, err)
	m, err := c.Kubectl().Call(kubelet.ActorName(p.Spec.NodeName), kubelet.KindResourceMetrics, nil, time.Second)
	require.NoError(t, err)
	rm := m.Body.(kubelet.ResourceMetrics)
	for _, ct := range rm.Containers {
		if ct.Pod == pod {
			return ct.CPUUsageCoreNanoseconds, rm.At
		}
	}
	t.Fatalf("no metrics for pod %s in %+v", pod, rm)
	return 0, 0
}

// A load generator's wget loop drives the CPU use of the server it calls:
// php-apache answers its requests and its counter grows at the rate the
// cost model says (700m of demand capped at the 500m limit), while an
// idle server stays at its baseline.
func TestLoadGeneratorDrivesServerCPU(t *testing.T) {
	c, err := New(Config{Seed: 3, Addons: true, MetricsServer: true})
	require.NoError(t, err)
	defer c.Stop()
	require.True(t, c.WaitFor(c.NodesReady, time.Minute))
	_, err = c.Apply("php-apache.yaml", []byte(phpApache))
	require.NoError(t, err)
	var server string
	require.True(t, c.WaitFor(func() bool {
		pods, _, err := c.Admin.List("pods", "default", client.ListOptions{LabelSelector: "run=php-apache"})
		if err != nil || len(pods) != 1 || pods[0].(*api.Pod).Status.Phase != api.PodRunning {
			return false
		}
		server = pods[0].(*api.Pod).Name
		return true
	}, 2*time.Minute))
	c.K.RunFor(10 * time.Second)
	idle0, t0 := containerCPU(t, c, server)
	c.K.RunFor(20 * time.Second)
	idle1, t1 := containerCPU(t, c, server)
	idleMilli := (idle1 - idle0) / int64(t1-t0) * 1000
	assert.LessOrEqual(t, idleMilli, int64(2), "an idle php-apache uses about 1m")

	_, err = c.Apply("load.yaml", []byte(loadGenerator))
	require.NoError(t, err)
	require.True(t, c.WaitFor(func() bool {
		p, err := client.Get[*api.Pod](c.Admin, "default", "load-generator")
		return err == nil && p.Status.Phase == api.PodRunning
	}, time.Minute))
	c.K.RunFor(5 * time.Second)
	busy0, b0 := containerCPU(t, c, server)
	c.K.RunFor(30 * time.Second)
	busy1, b1 := containerCPU(t, c, server)
	busyMilli := (busy1 - busy0) * 1000 / int64(b1-b0)
	assert.Equal(t, int64(500), busyMilli, "the load asks for 700m; the 500m limit caps it")
}

// metrics-server scrapes the kubelets every 15 s and reports the rate
// between its last two samples.
func TestMetricsServerReportsPodAndNodeUsage(t *testing.T) {
	c, err := New(Config{Seed: 3, Addons: true, MetricsServer: true})
	require.NoError(t, err)
	defer c.Stop()
	require.True(t, c.WaitFor(c.NodesReady, time.Minute))
	_, err = c.Apply("php-apache.yaml", []byte(phpApache))
	require.NoError(t, err)
	_, err = c.Apply("load.yaml", []byte(loadGenerator))
	require.NoError(t, err)
	var pods metricsserver.QueryReply
	require.True(t, c.WaitFor(func() bool {
		pods, err = metricsserver.Ask(c.Admin, c.Kubectl(), metricsserver.Query{Namespace: "default", LabelSelector: "run=php-apache"})
		return err == nil && len(pods.Pods) == 1 && pods.Pods[0].CPUMilli() >= 400
	}, 3*time.Minute), "php-apache's metrics: %+v %v", pods, err)
	c.K.RunFor(time.Minute)
	pods, err = metricsserver.Ask(c.Admin, c.Kubectl(), metricsserver.Query{Namespace: "default", LabelSelector: "run=php-apache"})
	require.NoError(t, err)
	require.Len(t, pods.Pods, 1)
	assert.Equal(t, int64(500), pods.Pods[0].CPUMilli())
	assert.Equal(t, 15*time.Second, pods.Pods[0].Window)
	assert.Equal(t, int64(11<<20), pods.Pods[0].MemoryBytes())
	nodes, err := metricsserver.Ask(c.Admin, c.Kubectl(), metricsserver.Query{Nodes: true})
	require.NoError(t, err)
	require.Len(t, nodes.Nodes, 3)
	for _, n := range nodes.Nodes {
		assert.Greater(t, n.CPUNanoCores, int64(40_000_000), n.Name)
	}
	_, err = metricsserver.Ask(c.Admin, c.Kubectl(), metricsserver.Query{Namespace: "default", Name: "nope"})
	assert.EqualError(t, err, `podmetrics.metrics.k8s.io "nope" not found`)
}

const phpApacheHPA = `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: php-apache
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: php-apache
  minReplicas: 1
  maxReplicas: 10
  metrics:
  - type: Resource
    resource:
      name: cpu
      target:
        type: Utilization
        averageUtilization: 50
`

func hpaStatus(t *testing.T, c *Cluster) *api.HorizontalPodAutoscaler {
	t.Helper()
	h, err := client.Get[*api.HorizontalPodAutoscaler](c.Admin, "default", "php-apache")
	require.NoError(t, err)
	return h
}

// The walkthrough end to end: load raises php-apache's CPU above the 50%
// target and the HPA scales the Deployment up; without load it scales
// back to one replica once the 5-minute stabilization window has passed.
func TestHPAScalesPHPApacheUpAndDown(t *testing.T) {
	c, err := New(Config{Seed: 3, Addons: true, MetricsServer: true})
	require.NoError(t, err)
	defer c.Stop()
	require.True(t, c.WaitFor(c.NodesReady, time.Minute))
	_, err = c.Apply("php-apache.yaml", []byte(phpApache+"---\n"+phpApacheHPA))
	require.NoError(t, err)
	require.True(t, c.WaitFor(func() bool {
		h := hpaStatus(t, c)
		return len(h.Status.CurrentMetrics) == 1 && h.Status.CurrentMetrics[0].Resource != nil
	}, 3*time.Minute), "the HPA reads a metric: %+v", hpaStatus(t, c).Status)
	h := hpaStatus(t, c)
	assert.Equal(t, int32(0), *h.Status.CurrentMetrics[0].Resource.Current.AverageUtilization, "idle")
	assert.Equal(t, int32(1), h.Status.DesiredReplicas)

	_, err = c.Apply("load.yaml", []byte(loadGenerator))
	require.NoError(t, err)
	require.True(t, c.WaitFor(func() bool { return hpaStatus(t, c).Status.DesiredReplicas >= 7 }, 5*time.Minute),
		"scaled up: %+v", hpaStatus(t, c).Status)
	c.K.RunFor(2 * time.Minute)
	h = hpaStatus(t, c)
	t.Logf("under load: %d replicas, %d%%", h.Status.CurrentReplicas, *h.Status.CurrentMetrics[0].Resource.Current.AverageUtilization)
	assert.Equal(t, int32(7), h.Status.DesiredReplicas)

	_, err = c.Admin.Delete("pods", "default", "load-generator", client.DeleteOptions{})
	require.NoError(t, err)
	start := c.K.Now()
	require.True(t, c.WaitFor(func() bool { return hpaStatus(t, c).Status.DesiredReplicas == 1 }, 10*time.Minute))
	took := c.K.Now() - start
	t.Logf("scaled down after %s", took)
	assert.GreaterOrEqual(t, took, 5*time.Minute, "not before the stabilization window")
	assert.Less(t, took, 6*time.Minute)
	events, _, err := c.Admin.List("events", "default", client.ListOptions{})
	require.NoError(t, err)
	var msgs []string
	for _, o := range events {
		e := o.(*api.Event)
		if e.Reason == "SuccessfulRescale" {
			msgs = append(msgs, e.Message)
		}
	}
	assert.Contains(t, msgs, "New size: 1; reason: All metrics below target")
	t.Logf("rescales: %q", msgs)
}

func eventsWith(t *testing.T, c *Cluster, reason string) []string {
	t.Helper()
	events, _, err := c.Admin.List("events", "default", client.ListOptions{})
	require.NoError(t, err)
	var msgs []string
	for _, o := range events {
		if e := o.(*api.Event); e.Reason == reason {
			msgs = append(msgs, e.Message)
		}
	}
	return msgs
}

func condition(h *api.HorizontalPodAutoscaler, ct api.HorizontalPodAutoscalerConditionType) api.HorizontalPodAutoscalerCondition {
	for _, c := range h.Status.Conditions {
		if c.Type == ct {
			return c
		}
	}
	return api.HorizontalPodAutoscalerCondition{}
}

// The HPA's failure paths read as the real controller's: no CPU request
// on the pods, and no metrics-server at all.
func TestHPAExplainsWhyItCannotScale(t *testing.T) {
	cases := []struct {
		name          string
		metricsServer bool
		manifest      string
		wantEvent     string
	}{
		// Without a request or a limit: a container that sets only a limit
		// gets the limit as its request, as the real Pod defaulting does.
		{name: "no cpu request", metricsServer: true, manifest: strings.Replace(phpApache, "        resources:\n          limits:\n            cpu: 500m\n          requests:\n            cpu: 200m\n", "", 1),
			wantEvent: "failed to get cpu utilization: missing request for cpu in container php-apache of Pod php-apache-"},
		{name: "no metrics-server", manifest: phpApache,
			wantEvent: "failed to get cpu utilization: unable to get metrics for resource cpu: unable to fetch metrics from resource metrics API: the server is currently unable to handle the request (get pods.metrics.k8s.io)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(Config{Seed: 3, Addons: true, MetricsServer: tc.metricsServer})
			require.NoError(t, err)
			defer c.Stop()
			require.True(t, c.WaitFor(c.NodesReady, time.Minute))
			_, err = c.Apply("php-apache.yaml", []byte(tc.manifest+"---\n"+phpApacheHPA))
			require.NoError(t, err)
			c.K.RunFor(2 * time.Minute)
			assert.True(t, anyContains(eventsWith(t, c, "FailedGetResourceMetric"), tc.wantEvent), "%q", eventsWith(t, c, "FailedGetResourceMetric"))
			assert.True(t, anyContains(eventsWith(t, c, "FailedComputeMetricsReplicas"),
				"invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value: "+tc.wantEvent))
			h := hpaStatus(t, c)
			active := condition(h, api.HPAScalingActive)
			assert.Equal(t, api.ConditionFalse, active.Status)
			assert.Equal(t, "FailedGetResourceMetric", active.Reason)
			assert.Contains(t, active.Message, "the HPA was unable to compute the replica count: "+tc.wantEvent)
			assert.Equal(t, "SucceededGetScale", condition(h, api.HPAAbleToScale).Reason)
			assert.Equal(t, int32(1), h.Status.CurrentReplicas)
		})
	}
}

func anyContains(list []string, s string) bool {
	for _, x := range list {
		if strings.Contains(x, s) {
			return true
		}
	}
	return false
}
