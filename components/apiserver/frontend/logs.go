package frontend

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiwire"
)

// logs serves GET pods/{name}/log. The apiserver authorizes pods/log and
// reads the pod; the log itself comes from the kubelet of the pod's node,
// as kube-apiserver proxies the request to it. sinceSeconds, sinceTime,
// tailLines and limitBytes are applied here; follow streams the new lines
// through a LogFollower backend.
func (h *Handler) logs(w http.ResponseWriter, r *http.Request, t target) {
	q := r.URL.Query()
	pod, ok := h.podOf(w, r, t, apiwire.VerbGet)
	if !ok {
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
	// The kubelet is always asked for timestamps: sinceSeconds and
	// sinceTime filter on them, and they are cut off again unless the
	// client asked for them.
	lr := LogsRequest{Namespace: pod.Namespace, Pod: pod.Name, Node: pod.Spec.NodeName, Container: container, Previous: isTrue(q.Get("previous")), Timestamps: true}
	stamped, err := h.cfg.Backend.Logs(r.Context(), lr)
	if err != nil {
		if se := asStatus(err); se.ErrStatus.Reason != apierrors.ReasonInternalError {
			writeError(w, se)
			return
		}
		writeError(w, apierrors.NewBadRequest(err.Error()))
		return
	}
	timestamps := isTrue(q.Get("timestamps"))
	var since time.Time
	if n, err := strconv.ParseInt(q.Get("sinceSeconds"), 10, 64); err == nil && n > 0 {
		since = h.cfg.Backend.Now().Add(-time.Duration(n) * time.Second)
	} else if t, err := time.Parse(time.RFC3339, q.Get("sinceTime")); err == nil {
		since = t
	}
	lines := make([]string, 0, len(stamped))
	for _, l := range stamped {
		stamp, text, _ := strings.Cut(l, " ")
		if !since.IsZero() {
			if t, err := time.Parse(time.RFC3339Nano, stamp); err == nil && t.Before(since) {
				continue
			}
		}
		if !timestamps {
			l = text
		}
		lines = append(lines, l)
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
	limit := -1
	if n, err := strconv.Atoi(q.Get("limitBytes")); err == nil && n >= 0 {
		limit = n
	}
	if limit >= 0 && limit < len(body) {
		body = body[:limit]
	}
	follower, ok := h.cfg.Backend.(LogFollower)
	if !isTrue(q.Get("follow")) || !ok || lr.Previous {
		writeBody(w, http.StatusOK, "text/plain", []byte(body))
		return
	}
	// -f: the lines so far, then each new one as the container prints it,
	// until it stops running or the client goes.
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusOK)
	written := len(body)
	io.WriteString(w, body)
	flush(w)
	lr.Timestamps = timestamps
	follower.FollowLogs(r.Context(), lr, len(stamped), func(line string) error {
		line += "\n"
		if limit >= 0 {
			if written >= limit {
				return io.EOF
			}
			if written+len(line) > limit {
				line = line[:limit-written]
			}
		}
		written += len(line)
		if _, err := io.WriteString(w, line); err != nil {
			return err
		}
		flush(w)
		return nil
	})
}

// LogFollower is what a Backend implements to serve `kubectl logs -f`.
type LogFollower interface {
	// FollowLogs calls line with each line the container prints after its
	// first from lines, until the container stops running, ctx ends or
	// line returns an error.
	FollowLogs(ctx context.Context, r LogsRequest, from int, line func(string) error) error
}

func flush(w http.ResponseWriter) {
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
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

// podOf asks kube-apiserver for a pod subresource (verb and RBAC as the
// subresource wants) and returns the pod it reads; on an error it has
// written the answer.
func (h *Handler) podOf(w http.ResponseWriter, r *http.Request, t target, verb string) (*api.Pod, bool) {
	res, err := h.cfg.Backend.Do(r.Context(), h.base(r, verb, t, r.URL.Query()))
	if err != nil {
		writeError(w, err)
		return nil, false
	}
	pod, ok := res.Object.(*api.Pod)
	if !ok {
		writeError(w, apierrors.NewInternalError(fmt.Errorf("pods/%s answered with %T", t.sub, res.Object)))
		return nil, false
	}
	return pod, true
}
