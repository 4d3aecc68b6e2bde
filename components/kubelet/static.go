package kubelet

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/client"
	"go.uber.org/zap"
)

// Static pods: manifests on the node's disk that the kubelet runs by
// itself, with no scheduler and no apiserver involved — which is how a
// kubeadm control plane starts its own etcd and kube-apiserver. So that
// kubectl can see them, the kubelet publishes each as a mirror pod named
// "<name>-<node>", marked with the kubernetes.io/config.mirror annotation
// and owned by the Node, and reports the static pod's status on it.

// Annotations of static and mirror pods.
const (
	annotationConfigMirror = "kubernetes.io/config.mirror"
	annotationConfigHash   = "kubernetes.io/config.hash"
	annotationConfigSeen   = "kubernetes.io/config.seen"
	annotationConfigSource = "kubernetes.io/config.source"
)

// startStaticPods runs the static pods and creates their mirror pods.
func (st *state) startStaticPods() {
	if len(st.static) == 0 && !st.staticRead {
		st.staticRead = true
		for _, manifest := range st.manifests() {
			pod := st.staticPod(manifest)
			pw := st.newWorker(pod, true)
			st.static = append(st.static, pw)
		}
		st.syncPrograms()
	}
	for _, pw := range st.static {
		if pw.api == nil {
			st.createMirror(pw)
		}
		st.sync(pw)
	}
}

// staticPod is the kubelet's internal pod of a manifest: named after the
// node, with the manifest's hash as uid, and the apiserver's defaults.
func (st *state) staticPod(manifest *api.Pod) *api.Pod {
	pod := api.DeepCopy(manifest)
	api.SetTypeMeta(pod)
	if pod.Namespace == "" {
		pod.Namespace = api.NamespaceDefault
	}
	raw, _ := json.Marshal(manifest)
	sum := md5.Sum(append(raw, st.cfg.Node...))
	hash := hex.EncodeToString(sum[:])
	pod.Name = manifest.Name + "-" + st.cfg.Node
	pod.UID = api.UID(hash)
	pod.Spec.NodeName = st.cfg.Node
	if pod.Annotations == nil {
		pod.Annotations = map[string]string{}
	}
	pod.Annotations[annotationConfigHash] = hash
	pod.Annotations[annotationConfigSeen] = st.wall().Format(time.RFC3339Nano)
	pod.Annotations[annotationConfigSource] = "file"
	if pod.Spec.RestartPolicy == "" {
		pod.Spec.RestartPolicy = api.RestartPolicyAlways
	}
	if pod.Spec.TerminationGracePeriodSeconds == nil {
		g := api.DefaultTerminationGrace
		pod.Spec.TerminationGracePeriodSeconds = &g
	}
	return pod
}

// createMirror publishes a static pod as its mirror pod.
func (st *state) createMirror(pw *podWorker) {
	if !st.registered {
		return // created once the Node exists, which owns it
	}
	mirror := api.DeepCopy(pw.pod)
	mirror.UID = ""
	mirror.ResourceVersion = ""
	mirror.Annotations[annotationConfigMirror] = mirror.Annotations[annotationConfigHash]
	yes := true
	mirror.OwnerReferences = []api.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: st.cfg.Node, UID: st.node.UID, Controller: &yes}}
	mirror.Status = api.PodStatus{}
	created, err := st.cl.Create(mirror)
	switch {
	case err == nil:
		pw.api = created.(*api.Pod)
		st.c.Note("kubelet", "created mirror pod "+pw.key)
	case apierrors.IsAlreadyExists(err):
		obj, gerr := st.cl.Get("pods", pw.ns, pw.name)
		if gerr != nil {
			st.retryMirror(pw)
			return
		}
		old := obj.(*api.Pod)
		if old.Annotations[annotationConfigMirror] != pw.pod.Annotations[annotationConfigHash] {
			// The mirror pod of an older version of the manifest: the
			// mirror pod manager deletes it and creates the new one.
			zero := int64(0)
			if _, err := st.cl.Delete("pods", pw.ns, pw.name, client.DeleteOptions{GracePeriodSeconds: &zero}); err != nil && !apierrors.IsNotFound(err) {
				st.log.Warn("Failed deleting a mirror pod", zap.String("pod", pw.key), zap.Error(err))
			}
			st.retryMirror(pw)
			return
		}
		pw.api = old
	default:
		st.log.Warn("Failed creating a mirror pod", zap.String("pod", pw.key), zap.Error(err))
		st.retryMirror(pw)
	}
}
