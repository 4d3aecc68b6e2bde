package printers

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kubesim/kubesim/components/api"
)

// describeTime is how describe prints timestamps (RFC 1123 with a numeric
// zone).
const describeTime = time.RFC1123Z

// prefixWriter writes describe's indented "Key:\tvalue" lines into a tab
// writer, two spaces per level.
type prefixWriter struct{ w io.Writer }

func (p prefixWriter) line(level int, format string, args ...any) {
	fmt.Fprintf(p.w, strings.Repeat("  ", level)+format, args...)
}

// DescribePod renders `kubectl describe pod` for a pod and the events about
// it, with ages taken at now (the simulation's virtual time).
func DescribePod(out io.Writer, pod *api.Pod, events []api.Event, now time.Time) error {
	tw := tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)
	w := prefixWriter{tw}
	w.line(0, "Name:\t%s\n", pod.Name)
	w.line(0, "Namespace:\t%s\n", pod.Namespace)
	prio := int32(0)
	if pod.Spec.Priority != nil {
		prio = *pod.Spec.Priority
	}
	w.line(0, "Priority:\t%d\n", prio)
	if pod.Spec.PriorityClassName != "" {
		w.line(0, "Priority Class Name:\t%s\n", pod.Spec.PriorityClassName)
	}
	w.line(0, "Service Account:\t%s\n", pod.Spec.ServiceAccountName)
	if pod.Spec.NodeName == "" {
		w.line(0, "Node:\t<none>\n")
	} else {
		w.line(0, "Node:\t%s\n", pod.Spec.NodeName+"/"+pod.Status.HostIP)
	}
	if pod.Status.StartTime != nil {
		w.line(0, "Start Time:\t%s\n", pod.Status.StartTime.Time.Format(describeTime))
	}
	multiline(w, "Labels", pod.Labels)
	multiline(w, "Annotations", pod.Annotations)
	if pod.DeletionTimestamp != nil && pod.Status.Phase != api.PodFailed && pod.Status.Phase != api.PodSucceeded {
		w.line(0, "Status:\tTerminating (lasts %s)\n", HumanDuration(now.Sub(pod.DeletionTimestamp.Time)))
		if pod.DeletionGracePeriodSeconds != nil {
			w.line(0, "Termination Grace Period:\t%ds\n", *pod.DeletionGracePeriodSeconds)
		}
	} else {
		w.line(0, "Status:\t%s\n", string(pod.Status.Phase))
	}
	if pod.Status.Reason != "" {
		w.line(0, "Reason:\t%s\n", pod.Status.Reason)
	}
	if pod.Status.Message != "" {
		w.line(0, "Message:\t%s\n", pod.Status.Message)
	}
	w.line(0, "IP:\t%s\n", pod.Status.PodIP)
	if len(pod.Status.PodIPs) == 0 {
		w.line(0, "IPs:\t<none>\n")
	} else {
		w.line(0, "IPs:\n")
		for _, ip := range pod.Status.PodIPs {
			w.line(1, "IP:\t%s\n", ip.IP)
		}
	}
	if ref := pod.ControllerRef(); ref != nil {
		w.line(0, "Controlled By:\t%s/%s\n", ref.Kind, ref.Name)
	}
	if pod.Status.NominatedNodeName != "" {
		w.line(0, "NominatedNodeName:\t%s\n", pod.Status.NominatedNodeName)
	}
	if len(pod.Spec.InitContainers) > 0 {
		describeContainers(w, "Init Containers", pod.Spec.InitContainers, pod.Status.InitContainerStatuses)
	}
	describeContainers(w, "Containers", pod.Spec.Containers, pod.Status.ContainerStatuses)
	if len(pod.Status.Conditions) > 0 {
		w.line(0, "Conditions:\n")
		w.line(1, "Type\tStatus\n")
		for _, c := range pod.Status.Conditions {
			w.line(1, "%v \t%v \n", c.Type, c.Status)
		}
	}
	if len(pod.Spec.Volumes) == 0 {
		w.line(0, "Volumes:\t<none>\n")
	} else {
		w.line(0, "Volumes:\n")
		for _, v := range pod.Spec.Volumes {
			w.line(1, "%s:\n", v.Name)
			w.line(2, "Type:\t%s\n", volumeType(v))
			if p := v.Projected; p != nil {
				projectedSources(w, p)
			}
		}
	}
	qos := pod.Status.QOSClass
	if qos == "" {
		qos = qosClass(pod)
	}
	w.line(0, "QoS Class:\t%s\n", qos)
	multiline(w, "Node-Selectors", pod.Spec.NodeSelector)
	tolerations(w, pod.Spec.Tolerations)
	describeEvents(w, events, now)
	return tw.Flush()
}

func multiline(w prefixWriter, title string, m map[string]string) {
	w.line(0, "%s:\t", title)
	if len(m) == 0 {
		w.line(0, "<none>\n")
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i > 0 {
			w.line(0, "\t")
		}
		w.line(0, "%s=%s\n", k, m[k])
	}
}

func tolerations(w prefixWriter, ts []api.Toleration) {
	w.line(0, "Tolerations:\t")
	if len(ts) == 0 {
		w.line(0, "<none>\n")
		return
	}
	sorted := append([]api.Toleration(nil), ts...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Key < sorted[j].Key })
	for i, t := range sorted {
		if i > 0 {
			w.line(0, "\t")
		}
		var b strings.Builder
		b.WriteString(t.Key)
		if t.Value != "" {
			b.WriteString("=" + t.Value)
		}
		if t.Effect != "" {
			b.WriteString(":" + string(t.Effect))
		}
		if t.Operator == "Exists" && t.Value == "" {
			if t.Key != "" || t.Effect != "" {
				b.WriteString(" ")
			}
			b.WriteString("op=Exists")
		}
		if t.TolerationSeconds != nil {
			fmt.Fprintf(&b, " for %ds", *t.TolerationSeconds)
		}
		w.line(0, "%s\n", b.String())
	}
}

func describeContainers(w prefixWriter, title string, specs []api.Container, statuses []api.ContainerStatus) {
	w.line(0, "%s:\n", title)
	byName := map[string]api.ContainerStatus{}
	for _, s := range statuses {
		byName[s.Name] = s
	}
	for _, c := range specs {
		st, ok := byName[c.Name]
		w.line(1, "%v:\n", c.Name)
		if ok {
			w.line(2, "Container ID:\t%s\n", st.ContainerID)
		}
		w.line(2, "Image:\t%s\n", c.Image)
		if ok {
			w.line(2, "Image ID:\t%s\n", st.ImageID)
		}
		ports, hostPorts := "<none>", "<none>"
		if len(c.Ports) > 0 {
			var p, hp []string
			for _, cp := range c.Ports {
				proto := cp.Protocol
				if proto == "" {
					proto = api.ProtocolTCP
				}
				p = append(p, fmt.Sprintf("%d/%s", cp.ContainerPort, proto))
				hp = append(hp, fmt.Sprintf("%d/%s", cp.HostPort, proto))
			}
			ports, hostPorts = strings.Join(p, ", "), strings.Join(hp, ", ")
		}
		w.line(2, "Port:\t%s\n", ports)
		w.line(2, "Host Port:\t%s\n", hostPorts)
		if len(c.Command) > 0 {
			w.line(2, "Command:\n")
			for _, s := range c.Command {
				w.line(3, "%s\n", s)
			}
		}
		if len(c.Args) > 0 {
			w.line(2, "Args:\n")
			for _, s := range c.Args {
				w.line(3, "%s\n", s)
			}
		}
		if ok {
			containerState(w, "State", st.State)
			if st.LastTerminationState.Terminated != nil {
				containerState(w, "Last State", st.LastTerminationState)
			}
			w.line(2, "Ready:\t%s\n", capitalBool(st.Ready))
			w.line(2, "Restart Count:\t%d\n", st.RestartCount)
		}
		resources(w, "Limits", c.Resources.Limits)
		resources(w, "Requests", c.Resources.Requests)
		if len(c.Env) == 0 {
			w.line(2, "Environment:\t<none>\n")
		} else {
			w.line(2, "Environment:\n")
			for _, e := range c.Env {
				if e.ValueFrom != nil {
					w.line(3, "%s:\t<set from a reference>\n", e.Name)
					continue
				}
				w.line(3, "%s:\t%s\n", e.Name, e.Value)
			}
		}
		if len(c.VolumeMounts) == 0 {
			w.line(2, "Mounts:\t<none>\n")
		} else {
			w.line(2, "Mounts:\n")
			for _, m := range c.VolumeMounts {
				mode := "rw"
				if m.ReadOnly {
					mode = "ro"
				}
				w.line(3, "%s from %s (%s)\n", m.MountPath, m.Name, mode)
			}
		}
	}
}

func containerState(w prefixWriter, title string, s api.ContainerState) {
	switch {
	case s.Running != nil:
		w.line(2, "%s:\tRunning\n", title)
		w.line(3, "Started:\t%v\n", s.Running.StartedAt.Time.Format(describeTime))
	case s.Terminated != nil:
		w.line(2, "%s:\tTerminated\n", title)
		if s.Terminated.Reason != "" {
			w.line(3, "Reason:\t%s\n", s.Terminated.Reason)
		}
		if s.Terminated.Message != "" {
			w.line(3, "Message:\t%s\n", s.Terminated.Message)
		}
		w.line(3, "Exit Code:\t%d\n", s.Terminated.ExitCode)
		if s.Terminated.Signal > 0 {
			w.line(3, "Signal:\t%d\n", s.Terminated.Signal)
		}
		w.line(3, "Started:\t%s\n", s.Terminated.StartedAt.Time.Format(describeTime))
		w.line(3, "Finished:\t%s\n", s.Terminated.FinishedAt.Time.Format(describeTime))
	case s.Waiting != nil:
		w.line(2, "%s:\tWaiting\n", title)
		if s.Waiting.Reason != "" {
			w.line(3, "Reason:\t%s\n", s.Waiting.Reason)
		}
	default:
		w.line(2, "%s:\tWaiting\n", title)
	}
}

func resources(w prefixWriter, title string, rl api.ResourceList) {
	if len(rl) == 0 {
		return
	}
	w.line(2, "%s:\n", title)
	names := make([]string, 0, len(rl))
	for n := range rl {
		names = append(names, string(n))
	}
	sort.Strings(names)
	for _, n := range names {
		q := rl[api.ResourceName(n)]
		w.line(3, "%s:\t%s\n", n, q.String())
	}
}

// projectedSources lists a projected volume's sources as kubectl describe
// does (an unset optional reads <nil>).
func projectedSources(w prefixWriter, p *api.ProjectedVolumeSource) {
	optional := func(b *bool) string {
		if b == nil {
			return "<nil>"
		}
		return fmt.Sprint(*b)
	}
	for _, src := range p.Sources {
		switch {
		case src.Secret != nil:
			w.line(2, "SecretName:\t%s\n", src.Secret.Name)
			w.line(2, "SecretOptionalName:\t%s\n", optional(src.Secret.Optional))
		case src.DownwardAPI != nil:
			w.line(2, "DownwardAPI:\ttrue\n")
		case src.ConfigMap != nil:
			w.line(2, "ConfigMapName:\t%s\n", src.ConfigMap.Name)
			w.line(2, "ConfigMapOptional:\t%s\n", optional(src.ConfigMap.Optional))
		case src.ServiceAccountToken != nil && src.ServiceAccountToken.ExpirationSeconds != nil:
			w.line(2, "TokenExpirationSeconds:\t%d\n", *src.ServiceAccountToken.ExpirationSeconds)
		}
	}
}

func volumeType(v api.Volume) string {
	s := v.VolumeSource
	switch {
	case s.EmptyDir != nil:
		return "EmptyDir (a temporary directory that shares a pod's lifetime)"
	case s.HostPath != nil:
		return "HostPath (bare host directory volume)"
	case s.ConfigMap != nil:
		return "ConfigMap (a volume populated by a ConfigMap)"
	case s.Secret != nil:
		return "Secret (a volume populated by a Secret)"
	case s.Projected != nil:
		return "Projected (a volume that contains injected data from multiple sources)"
	case s.PersistentVolumeClaim != nil:
		return "PersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)"
	case s.DownwardAPI != nil:
		return "DownwardAPI (a volume populated by information about the pod)"
	}
	return "<unknown>"
}

// qosClass computes the QoS class when the status does not carry it.
func qosClass(pod *api.Pod) api.PodQOSClass {
	requests, limits := 0, 0
	guaranteed := true
	for _, c := range pod.Spec.Containers {
		requests += len(c.Resources.Requests)
		limits += len(c.Resources.Limits)
		for _, r := range []api.ResourceName{api.ResourceCPU, api.ResourceMemory} {
			l, ok := c.Resources.Limits[r]
			if !ok {
				guaranteed = false
				continue
			}
			if q, ok := c.Resources.Requests[r]; ok && q.Cmp(l) != 0 {
				guaranteed = false
			}
		}
	}
	switch {
	case requests == 0 && limits == 0:
		return api.PodQOSBestEffort
	case guaranteed:
		return api.PodQOSGuaranteed
	}
	return api.PodQOSBurstable
}

func describeEvents(w prefixWriter, events []api.Event, now time.Time) {
	if len(events) == 0 {
		w.line(0, "Events:\t<none>\n")
		return
	}
	sorted := append([]api.Event(nil), events...)
	sort.SliceStable(sorted, func(i, j int) bool { return eventTime(&sorted[i]).Before(eventTime(&sorted[j])) })
	w.line(0, "Events:\n")
	w.line(1, "Type\tReason\tAge\tFrom\tMessage\n")
	w.line(1, "----\t------\t----\t----\t-------\n")
	for i := range sorted {
		e := &sorted[i]
		first := Age(e.FirstTimestamp, now)
		if e.FirstTimestamp.IsZero() {
			first = microAge(e.EventTime, now)
		}
		interval := first
		switch {
		case e.Series != nil:
			interval = fmt.Sprintf("%s (x%d over %s)", microAge(e.Series.LastObservedTime, now), e.Series.Count, first)
		case e.Count > 1:
			interval = fmt.Sprintf("%s (x%d over %s)", Age(e.LastTimestamp, now), e.Count, first)
		}
		source := e.Source.Component
		if source == "" {
			source = e.ReportingController
		}
		w.line(1, "%v\t%v\t%s\t%v\t%v\n", e.Type, e.Reason, interval, source, strings.TrimSpace(e.Message))
	}
}

func eventTime(e *api.Event) time.Time {
	if !e.LastTimestamp.IsZero() {
		return e.LastTimestamp.Time
	}
	if !e.FirstTimestamp.IsZero() {
		return e.FirstTimestamp.Time
	}
	return e.EventTime.Time
}

// capitalBool is "True" or "False", as describe prints booleans.
func capitalBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}
