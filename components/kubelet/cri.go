package kubelet

import (
	"sort"
	"strings"
	"time"
)

// What the container runtime holds, as crictl shows it: read out of band
// (the node shell's crictl, between kernel steps), changing nothing.

// Sandbox is one pod sandbox (crictl pods).
type Sandbox struct {
	ID, Name, Namespace, UID string
	Ready                    bool
	Created                  time.Time
	Attempt                  int
	Static                   bool
	HostNetwork              bool
	IP                       string
	Labels                   map[string]string
	Containers               []Container
}

// Container is one container instance (crictl ps -a).
type Container struct {
	ID, Name, Image, ImageID string
	Running                  bool
	Attempt                  int32
	Created, Finished        time.Time
	ExitCode                 int32
	Reason                   string
	Command                  []string
	PodSandboxID             string
}

// Sandboxes lists the runtime's pod sandboxes and their containers (the
// current and the previous instance of each), sorted by pod.
func (kl *Kubelet) Sandboxes() []Sandbox {
	keys := make([]string, 0, len(kl.m.pods))
	for k := range kl.m.pods {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []Sandbox
	for _, k := range keys {
		pw := kl.m.pods[k]
		if pw.sandboxID == "" || pw.gone {
			continue
		}
		s := Sandbox{ID: pw.sandboxID, Name: pw.name, Namespace: pw.ns, UID: string(pw.uid), Ready: pw.sandboxReady,
			Static: pw.static, HostNetwork: pw.hostNetwork, IP: pw.podIP, Labels: pw.pod.Labels}
		if pw.startTime != nil {
			s.Created = pw.startTime.Time
		}
		for _, c := range pw.all() {
			for _, in := range []*instance{c.prev, c.cur} {
				if in == nil || in.id == "" {
					continue
				}
				attempt := c.restarts
				if in == c.prev {
					attempt--
				}
				image, _ := normalizeImage(c.spec.Image)
				digest, _ := imageFacts(image)
				s.Containers = append(s.Containers, Container{ID: in.id, Name: c.spec.Name, Image: image,
					ImageID: strings.TrimPrefix(digest, "sha256:"), Running: !in.finished, Attempt: max(attempt, 0),
					Created: in.startedAt, Finished: in.finishedAt, ExitCode: in.exitCode, Reason: in.reason,
					Command: append(append([]string(nil), c.spec.Command...), c.spec.Args...), PodSandboxID: pw.sandboxID})
			}
		}
		out = append(out, s)
	}
	return out
}

// Config is the kubelet's configuration, with its defaults.
func (kl *Kubelet) Config() Config { return kl.cfg }
