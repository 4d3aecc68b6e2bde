package frontend

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiwire"
)

// logs serves GET pods/{name}/log. The apiserver authorizes pods/log and
// reads the pod; the log itself comes from the kubelet of the pod's node,
// as kube-apiserver proxies the request to it. tailLines and limitBytes are
// applied here; follow answers with what there is and ends the stream.
func (h *Handler) logs(w http.ResponseWriter, r *http.Request, t target) {
	q := r.URL.Query()
	req := h.base(r, apiwire.VerbGet, t, q)
	res, err := h.cfg.Backend.Do(r.Context(), req)
	if err != nil {
		writeError(w, err)
		return
	}
	pod, ok := res.Object.(*api.Pod)
	if !ok {
		writeError(w, apierrors.NewInternalError(fmt.Errorf("pods/log answered with %T", res.Object)))
		return
	}
	container := q.Get("container")
	if container == "" && len(pod.Spec.Containers) == 1 && len(pod.Spec.InitContainers) == 0 {
		container = pod.Spec.Containers[0].Name
	}
	if container == "" {
		names := make([]string, len(pod.Spec.Containers))
		for i, c := range pod.Spec.Containers {
			names[i] = c.Name
		}
		msg := fmt.Sprintf("a container name must be specified for pod %s, choose one of: [%s]", pod.Name, strings.Join(names, " "))
		if len(pod.Spec.InitContainers) > 0 {
			inits := make([]string, len(pod.Spec.InitContainers))
			for i, c := range pod.Spec.InitContainers {
				inits[i] = c.Name
			}
			msg += fmt.Sprintf(" or one of the init containers: [%s]", strings.Join(inits, " "))
		}
		writeError(w, apierrors.NewBadRequest(msg))
		return
	}
	if !hasContainer(pod, container) {
		writeError(w, apierrors.NewBadRequest(fmt.Sprintf("container %s is not valid for pod %s", container, pod.Name)))
		return
	}
	if pod.Spec.NodeName == "" {
		writeError(w, apierrors.NewBadRequest(fmt.Sprintf("pod %s does not have a host assigned", pod.Name)))
		return
	}
	lines, err := h.cfg.Backend.Logs(r.Context(), LogsRequest{Namespace: pod.Namespace, Pod: pod.Name, Node: pod.Spec.NodeName, Container: container,
		Previous: isTrue(q.Get("previous")), Timestamps: isTrue(q.Get("timestamps"))})
	if err != nil {
		if se := asStatus(err); se.ErrStatus.Reason != apierrors.ReasonInternalError {
			writeError(w, se)
			return
		}
		writeError(w, apierrors.NewBadRequest(err.Error()))
		return
	}
	if n, err := strconv.Atoi(q.Get("tailLines")); err == nil && n >= 0 && n < len(lines) {
		lines = lines[len(lines)-n:]
	}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	body := b.String()
	if n, err := strconv.Atoi(q.Get("limitBytes")); err == nil && n >= 0 && n < len(body) {
		body = body[:n]
	}
	writeBody(w, http.StatusOK, "text/plain", []byte(body))
}

func hasContainer(pod *api.Pod, name string) bool {
	for _, c := range pod.Spec.Containers {
		if c.Name == name {
			return true
		}
	}
	for _, c := range pod.Spec.InitContainers {
		if c.Name == name {
			return true
		}
	}
	return false
}
