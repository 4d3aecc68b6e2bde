// Package kubelet is the node agent: one actor per node, named
// "kubelet-<node>" (ActorName), that registers the Node, keeps its Lease
// and status fresh, and runs the pods bound to it. It talks to
// kube-apiserver through package client (as system:node:<node>) and to the
// node's network agent through the CNI contract of package cni; it never
// reaches into another component's state.
//
// # Node
//
// At start the kubelet creates its Node (or adopts one that exists) with the
// labels kubernetes.io/hostname, kubernetes.io/os=linux,
// kubernetes.io/arch=amd64 (and their beta.* twins), the zone and region
// when configured, and on control-plane nodes the kubeadm role label and
// the node-role.kubernetes.io/control-plane:NoSchedule taint. Its status
// carries capacity and allocatable (capacity minus kube-reserved,
// system-reserved and the hard eviction thresholds memory.available<100Mi
// and nodefs.available<10%), InternalIP and Hostname addresses, nodeInfo
// (kubelet v1.32.4, containerd 1.7) and the MemoryPressure, DiskPressure,
// PIDPressure and Ready conditions with the real reasons and messages.
// Ready needs the runtime's network: with a node disk (Config.Disk) the
// node is NotReady, "container runtime network not ready:
// NetworkReady=false reason:NetworkPluginNotReady message:Network plugin
// returns error: cni plugin not initialized", while no CNI configuration
// is in /etc/cni/net.d (the Cilium agent's 05-cilium.conflist).
// It renews the Lease kube-node-lease/<node> every 10 s (a quarter of its
// 40 s duration), computes the node status every 10 s and posts it when it
// changed or 5 minutes after the last post. A stopped kubelet simply stops
// renewing: noticing that is the node lifecycle controller's job.
//
// # Pods
//
// The kubelet watches pods with spec.nodeName=<node>. For each it runs the
// lifecycle of the real kubelet's pod worker, on virtual time:
//
//	Pending, containers waiting ContainerCreating (PodInitializing with init containers)
//	  -> RunPodSandbox: pause container, CNI ADD to cilium-agent-<node>
//	     (hostNetwork pods use the node's IP): podIP, PodReadyToStartContainers=True
//	  -> init containers, one after the other, each to completion
//	  -> per container, in order: image (Pulling/Pulled, honouring
//	     imagePullPolicy; pulls are serialized and cached per node),
//	     Created, Started; running with containerd://<id>
//	  -> Running once every container runs; Ready (and ContainersReady)
//	     when every container is ready and the readiness gates hold
//	  -> exits: restarted per restartPolicy with the crash-loop back-off
//	     (immediately, then 10 s, 20 s, ... 5 min; reset after 10 minutes
//	     without a crash), or Succeeded / Failed
//
// Deleting a pod gives its containers SIGTERM (event Killing) and its grace
// period (at least 2 s); containers still running at its end get SIGKILL
// (exit code 137). Then the sandbox goes (CNI DEL), the final status is
// written (Succeeded if every container exited 0, else Failed) and the
// kubelet deletes the pod with grace period 0. A pod past its
// activeDeadlineSeconds is killed the same way and left Failed with reason
// DeadlineExceeded.
//
// Failures, with the real texts: without a network (the agent refuses or
// does not answer for 30 s) the pod stays ContainerCreating with a
// FailedCreatePodSandBox warning and the sandbox is retried after the pod
// workers' 10-15 s back-off; an image the registry lacks
// (Config.ImageExists) goes ErrImagePull then ImagePullBackOff, retried
// after 10 s, 20 s, ... 5 min; a pod that does not fit the node's
// allocatable resources next to the pods already there is rejected at the
// kubelet's admission (Failed, reason OutOfcpu / OutOfmemory / OutOfpods).
//
// Init containers run one after the other, each to completion; an init
// container with restartPolicy Always is a sidecar: the next one starts
// once it has started, it runs beside the pod's containers, restarts with
// the back-off, counts towards readiness, and is stopped when the
// containers of a Never or OnFailure pod have finished.
//
// Static pods (Config.StaticPods; KubeadmStaticPods gives kubeadm's four)
// run without the apiserver and appear as mirror pods "<name>-<node>" in
// their namespace with the kubernetes.io/config.mirror annotation, owned by
// the Node; a deleted mirror pod is created again. With Config.Disk the
// static pods are the manifests in staticPodPath on the node's disk, read
// at start and on KindManifestsChanged (the inotify event of a write): a
// changed manifest replaces its pod and its mirror pod, a removed one stops
// it, one that does not decode is logged ("Could not process manifest
// file") and not run; a restarted kubelet reads them before it talks to the
// apiserver. Config.Programs starts and stops the programs that static
// pods' containers stand for (see staticfile.go).
//
// The container runtime's state (sandboxes, containers, images, logs) is
// kept in the Kubelet value, outside the actor's incarnation: a crashed and
// restarted kubelet finds its containers still running, as with containerd,
// re-lists its pods, finishes those deleted meanwhile and carries on. The
// runtime actor (RunRuntime, "containerd-<node>") stands for the machine:
// when its node is stopped and started, running containers are reported
// exited with code 255 (reason Unknown), sandboxes are recreated and
// restarts counted.
//
// # What a container does
//
// No process runs in a simulated container: what it does comes from its
// image's entry in package images and its command and args (process.go).
// "busybox" with no command exits 0 at once (sh without a terminal), so
// with restartPolicy Always it goes Completed, then CrashLoopBackOff;
// "sleep 3600" exits 0 after an hour; "sh -c 'exit 1'" crashes; nginx,
// httpd, redis, agnhost netexec and the other servers run until stopped
// and print their real start-up lines. A command the image lacks fails to
// start: the container terminates with reason StartError, exit code 128
// and containerd's message (event Failed "Error: failed to create
// containerd task: ..."). A shell, sleep or tail as PID 1 ignores SIGTERM,
// so deleting its pod takes the grace period and ends in SIGKILL (137).
//
// The runtime actor answers KindServe: a request the datapath delivered to
// a container is answered by its process as its image does, and the
// process' access-log line goes into the container's log.
// Kubelet.ContainerLogs reads a container's lines with their virtual times
// out of band.
//
// Each request served charges its CPU time (images.Process.Cost) to the
// container in the second it arrives; the kubelet answers
// KindResourceMetrics (its /metrics/resource endpoint as data, which
// metrics-server scrapes) with cumulative CPU per container and node —
// the idle baseline plus those charges, each second capped at the
// container's CPU limit — and memory working sets (metrics.go). A
// container whose process is a request loop (a load generator) gets an
// actor that sends its requests (Config.Clients).
//
// Probes ask the same process: httpGet succeeds when the process listens
// on the port and answers 2xx or 3xx, tcpSocket and grpc when it listens,
// exec when the command is in the image and does not fail; otherwise the
// real messages ("Readiness probe failed: Get "http://10.0.1.7:8080/":
// dial tcp 10.0.1.7:8080: connect: connection refused", "HTTP probe failed
// with statuscode: 404"), with periodSeconds 10, failureThreshold 3 and
// successThreshold 1 by default. A startup probe holds the readiness and
// liveness probes back until it succeeds; failureThreshold failures of a
// liveness or startup probe kill the container ("Container web failed
// liveness probe, will be restarted") and it restarts with the back-off.
//
// # The behaviour annotation (a simulator extension)
//
// A pod can script its containers in the kubesim.io/behavior annotation —
// drills use it to script failures. For a container it names, the
// annotation replaces what the catalog says about exits, readiness and
// liveness (the ports still come from the image); it is a JSON or YAML
// map from container name to:
//
//	startDelay  time between Created and Started          (default 0)
//	readyAfter  time after the start until ready          (default 0, or the readiness probe's initialDelaySeconds)
//	neverReady  never becomes ready
//	exitAfter   the process ends this long after its start (default: runs until stopped)
//	exitCode    ... with this code (0 completes, else crashes; default 0)
//	stopDelay   time it takes to exit after SIGTERM        (default 0)
//	unhealthyAfter  stops answering its livenessProbe this long after its start:
//	            Unhealthy events, then killed and restarted after failureThreshold probes
//	logs        lines printed to stdout at start (instead of the image's)
//
// for example
//
//	metadata:
//	  annotations:
//	    kubesim.io/behavior: |
//	      web: {readyAfter: 5s, logs: ["listening on :8080"]}
//	      sidecar: {exitAfter: 20s, exitCode: 1}
//
// Init containers without a behaviour exit as their command does; one the
// catalog sees running on (a wait loop) completes one second after it
// starts. Real Kubernetes ignores the annotation; ParseBehavior lets
// kube-apiserver validate it at admission.
//
// Logs: Kubelet.Logs and the KindLogs message (LogsRequest ->
// *LogsResponse) serve what a container printed, and --previous, with
// kubectl's error texts, for kubectl logs.
//
// For an annotated container the probes follow the behaviour: a readiness
// probe fails (event Unhealthy, "Readiness probe failed: ...") at each
// period until readyAfter, or forever with neverReady; a liveness probe
// fails from unhealthyAfter on.
//
// Simplifications: exits are seen at once (no 1 s PLEG relist) and a
// container leaves its back-off exactly when it expires (the real kubelet
// restarts it at its next pod sync); a probe's outcome is decided at the
// container's start (the process' sockets do not change while it runs),
// successful probes are neither repeated as events nor logged, and
// timeoutSeconds never bites; control-plane containers run by
// Config.Programs are not probed; pods do not wait for the network (the
// real kubelet holds their sandboxes back while it is not ready); a kill restarts its grace period when
// a kubelet restart interrupts it; volumes, resource enforcement and
// eviction are not modelled (a pod's volumes, such as the kube-api-access
// one the apiserver adds, are accepted and mounting them does nothing).
package kubelet
