package kubelet

import (
	"fmt"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
)

// The volume manager's wait for a pod's volumes, as the kubelet's
// WaitForAttachAndMount: the pod's sandbox is not made before every
// PersistentVolumeClaim the pod names is Bound. The kubelet re-checks
// every podAttachAndMountRetry and, each podAttachAndMountTimeout it has
// waited, records FailedMount "Unable to attach or mount volumes:
// unmounted volumes=[...], unattached volumes=[], failed to process
// volumes=[...]: context deadline exceeded" (a claim that is not Bound
// cannot be added to the desired state of the world, so its volume is
// both unmounted and not processed).
//
// Simplification: the kubelet reads the claims from the apiserver when it
// checks (the real one keeps them in its volume manager's caches), and
// mounting a Bound claim's volume is instant; other volume kinds (hostPath,
// configMap, secret, projected) are not waited for.
const (
	podAttachAndMountTimeout = 2*time.Minute + 3*time.Second
	podAttachAndMountRetry   = time.Second
)

// volumeWait is a pod's wait for its claims.
type volumeWait struct {
	mounted bool
	waiting bool
	since   time.Duration // when the current timeout period began
	armed   bool          // a re-check timer is pending
}

// volumesReady reports whether the pod's claims are Bound (its volumes
// mounted); while not, it arms a re-check and explains the wait.
func (st *state) volumesReady(pw *podWorker) bool {
	if pw.claims.mounted {
		return true
	}
	var unmounted, claims []string
	for _, v := range pw.pod.Spec.Volumes {
		if v.PersistentVolumeClaim == nil {
			continue
		}
		claims = append(claims, v.PersistentVolumeClaim.ClaimName)
		pvc, err := client.Get[*api.PersistentVolumeClaim](st.cl, pw.ns, v.PersistentVolumeClaim.ClaimName)
		if err != nil || pvc.Status.Phase != api.ClaimBound || pvc.Spec.VolumeName == "" {
			unmounted = append(unmounted, v.Name)
		}
	}
	now := st.c.Now()
	if len(unmounted) == 0 {
		pw.claims.mounted = true
		if len(claims) > 0 {
			st.c.Note(NoteKubelet, PodNote{Pod: pw.key, Step: StepVolumesMounted, Volumes: claims})
		}
		return true
	}
	if !pw.claims.waiting {
		pw.claims.waiting, pw.claims.since = true, now
		st.c.Note(NoteKubelet, PodNote{Pod: pw.key, Step: StepVolumesWaiting, Volumes: unmounted})
	}
	if now-pw.claims.since >= podAttachAndMountTimeout {
		pw.claims.since = now
		list := "[" + strings.Join(unmounted, " ") + "]"
		st.rec.podEvent(pw, nil, api.EventTypeWarning, "FailedMount",
			fmt.Sprintf("Unable to attach or mount volumes: unmounted volumes=%s, unattached volumes=[], failed to process volumes=%s: context deadline exceeded", list, list))
	}
	if !pw.claims.armed {
		pw.claims.armed = true
		st.timer(pw, podAttachAndMountRetry, kindPodSync, podTimer{what: "volumes"})
	}
	return false
}
