package printers

import (
	"fmt"
	"io"
	"net"
	"net/url"
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
	if pod.Spec.Priority != nil {
		w.line(0, "Priority:\t%d\n", *pod.Spec.Priority)
	}
	if pod.Spec.PriorityClassName != "" {
		w.line(0, "Priority Class Name:\t%s\n", pod.Spec.PriorityClassName)
	}
	if pod.Spec.ServiceAccountName != "" {
		w.line(0, "Service Account:\t%s\n", pod.Spec.ServiceAccountName)
	}
	if pod.Spec.NodeName == "" {
		w.line(0, "Node:\t<none>\n")
	} else {
		w.line(0, "Node:\t%s\n", pod.Spec.NodeName+"/"+pod.Status.HostIP)
	}
	if pod.Status.StartTime != nil {
		w.line(0, "Start Time:\t%s\n", pod.Status.StartTime.Time.Format(describeTime))
	}
	multiline(w, "Labels", pod.Labels)
	annotations(w, "Annotations", pod.Annotations)
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
	controlledBy(w, pod.GetObjectMeta())
	if pod.Status.NominatedNodeName != "" {
		w.line(0, "NominatedNodeName:\t%s\n", pod.Status.NominatedNodeName)
	}
	if len(pod.Spec.InitContainers) > 0 {
		describeContainers(w, "Init Containers", pod.Spec.InitContainers, pod.Status.InitContainerStatuses, "", pod)
	}
	describeContainers(w, "Containers", pod.Spec.Containers, pod.Status.ContainerStatuses, "", pod)
	if len(pod.Status.Conditions) > 0 {
		w.line(0, "Conditions:\n")
		w.line(1, "Type\tStatus\n")
		for _, c := range pod.Status.Conditions {
			w.line(1, "%v \t%v \n", c.Type, c.Status)
		}
	}
	describeVolumes(w, pod.Spec.Volumes, "")
	qos := pod.Status.QOSClass
	if qos == "" {
		qos = qosClass(pod)
	}
	w.line(0, "QoS Class:\t%s\n", qos)
	multiline(w, "Node-Selectors", pod.Spec.NodeSelector)
	tolerations(w, "Tolerations", pod.Spec.Tolerations)
	describeEvents(w, events, now)
	return tw.Flush()
}

// multiline prints a label map one pair a line, as kubectl's
// printLabelsMultiline.
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

// maxAnnotationLen is where describe breaks an annotation onto lines of
// its own (and cuts each line).
const maxAnnotationLen = 140

// annotations prints annotations as "key: value", leaving out the
// last-applied configuration that kubectl apply writes; a long or
// multi-line value goes under its key, each line cut at 138 characters.
func annotations(w prefixWriter, title string, m map[string]string) {
	w.line(0, "%s:\t", title)
	keys := make([]string, 0, len(m))
	for k := range m {
		if k == api.AnnotationLastAppliedConfiguration {
			continue
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		w.line(0, "<none>\n")
		return
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i > 0 {
			w.line(0, "\t")
		}
		value := strings.TrimSuffix(m[k], "\n")
		if len(value)+len(k)+2 > maxAnnotationLen || strings.Contains(value, "\n") {
			w.line(0, "%s:\n", k)
			for _, s := range strings.Split(value, "\n") {
				if len(s) > maxAnnotationLen-2 {
					s = s[:maxAnnotationLen-2] + "..."
				}
				w.line(0, "\t  %s\n", s)
			}
			continue
		}
		w.line(0, "%s: %s\n", k, value)
	}
}

// controlledBy prints "Controlled By: Kind/name" for an object with a
// controller owner.
func controlledBy(w prefixWriter, m *api.ObjectMeta) {
	if ref := m.ControllerRef(); ref != nil {
		w.line(0, "Controlled By:\t%s/%s\n", ref.Kind, ref.Name)
	}
}

func tolerations(w prefixWriter, title string, ts []api.Toleration) {
	w.line(0, "%s:\t", title)
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

// describeContainers is describe's container section; space indents its
// title (two spaces inside a Pod Template) and the container names by one
// more, as kubectl does.
func describeContainers(w prefixWriter, title string, specs []api.Container, statuses []api.ContainerStatus, space string, pod *api.Pod) {
	none := ""
	if len(specs) == 0 {
		none = " <none>"
	}
	w.line(0, "%s%s:%s\n", space, title, none)
	byName := map[string]api.ContainerStatus{}
	for _, s := range statuses {
		byName[s.Name] = s
	}
	nameIndent := ""
	if space != "" {
		nameIndent = " "
	}
	for _, c := range specs {
		st, ok := byName[c.Name]
		w.line(1, "%s%v:\n", nameIndent, c.Name)
		if ok {
			w.line(2, "Container ID:\t%s\n", st.ContainerID)
		}
		w.line(2, "Image:\t%s\n", c.Image)
		if ok {
			w.line(2, "Image ID:\t%s\n", st.ImageID)
		}
		var p, hp []string
		for _, cp := range c.Ports {
			p = append(p, fmt.Sprintf("%d/%s", cp.ContainerPort, cp.Protocol))
			hp = append(hp, fmt.Sprintf("%d/%s", cp.HostPort, cp.Protocol))
		}
		if len(p) > 1 {
			w.line(2, "Ports:\t%s\n", strings.Join(p, ", "))
			w.line(2, "Host Ports:\t%s\n", strings.Join(hp, ", "))
		} else {
			w.line(2, "Port:\t%s\n", orNone(strings.Join(p, ", ")))
			w.line(2, "Host Port:\t%s\n", orNone(strings.Join(hp, ", ")))
		}
		if len(c.Command) > 0 {
			w.line(2, "Command:\n")
			for _, s := range c.Command {
				for _, l := range strings.Split(s, "\n") {
					w.line(3, "%s\n", l)
				}
			}
		}
		if len(c.Args) > 0 {
			w.line(2, "Args:\n")
			for _, s := range c.Args {
				for _, l := range strings.Split(s, "\n") {
					w.line(3, "%s\n", l)
				}
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
		for _, pr := range []struct {
			title string
			probe *api.Probe
		}{{"Liveness", c.LivenessProbe}, {"Readiness", c.ReadinessProbe}, {"Startup", c.StartupProbe}} {
			if pr.probe != nil {
				w.line(2, "%s:\t%s\n", pr.title, describeProbe(pr.probe))
			}
		}
		if len(c.EnvFrom) > 0 {
			w.line(2, "Environment Variables from:\n")
			for _, e := range c.EnvFrom {
				from, name, optional := "", "", false
				switch {
				case e.ConfigMapRef != nil:
					from, name, optional = "ConfigMap", e.ConfigMapRef.Name, e.ConfigMapRef.Optional != nil && *e.ConfigMapRef.Optional
				case e.SecretRef != nil:
					from, name, optional = "Secret", e.SecretRef.Name, e.SecretRef.Optional != nil && *e.SecretRef.Optional
				}
				if e.Prefix == "" {
					w.line(3, "%s\t%s\tOptional: %t\n", name, from, optional)
				} else {
					w.line(3, "%s\t%s with prefix '%s'\tOptional: %t\n", name, from, e.Prefix, optional)
				}
			}
		}
		if len(c.Env) == 0 {
			w.line(2, "Environment:\t<none>\n")
		} else {
			w.line(2, "Environment:\n")
			for _, e := range c.Env {
				describeEnvVar(w, e, &c, pod)
			}
		}
		if len(c.VolumeMounts) == 0 {
			w.line(2, "Mounts:\t<none>\n")
		} else {
			w.line(2, "Mounts:\n")
			mounts := append([]api.VolumeMount(nil), c.VolumeMounts...)
			sort.SliceStable(mounts, func(i, j int) bool { return mounts[i].MountPath < mounts[j].MountPath })
			for _, m := range mounts {
				flags := "rw"
				if m.ReadOnly {
					flags = "ro"
				}
				if m.SubPath != "" {
					flags += fmt.Sprintf(",path=%q", m.SubPath)
				}
				w.line(3, "%s from %s (%s)\n", m.MountPath, m.Name, flags)
			}
		}
	}
}

// describeEnvVar prints one environment variable. For a pod (pod not nil)
// a field reference shows its value where kubectl can compute one
// (metadata.name and metadata.namespace), a resource reference the
// container's amount ("node allocatable" for an unset CPU or memory
// limit).
func describeEnvVar(w prefixWriter, e api.EnvVar, c *api.Container, pod *api.Pod) {
	if e.ValueFrom == nil {
		for i, s := range strings.Split(e.Value, "\n") {
			if i == 0 {
				w.line(3, "%s:\t%s\n", e.Name, s)
			} else {
				w.line(3, "\t%s\n", s)
			}
		}
		return
	}
	switch v := e.ValueFrom; {
	case v.FieldRef != nil:
		value := ""
		if pod != nil {
			switch v.FieldRef.FieldPath {
			case "metadata.name":
				value = pod.Name
			case "metadata.namespace":
				value = pod.Namespace
			}
		}
		w.line(3, "%s:\t%s (%s:%s)\n", e.Name, value, v.FieldRef.APIVersion, v.FieldRef.FieldPath)
	case v.ResourceFieldRef != nil:
		value := containerResourceValue(v.ResourceFieldRef, c)
		if value == "0" && (v.ResourceFieldRef.Resource == "limits.cpu" || v.ResourceFieldRef.Resource == "limits.memory") {
			value = "node allocatable"
		}
		w.line(3, "%s:\t%s (%s)\n", e.Name, value, v.ResourceFieldRef.Resource)
	case v.SecretKeyRef != nil:
		w.line(3, "%s:\t<set to the key '%s' in secret '%s'>\tOptional: %t\n", e.Name, v.SecretKeyRef.Key, v.SecretKeyRef.Name, v.SecretKeyRef.Optional != nil && *v.SecretKeyRef.Optional)
	case v.ConfigMapKeyRef != nil:
		w.line(3, "%s:\t<set to the key '%s' of config map '%s'>\tOptional: %t\n", e.Name, v.ConfigMapKeyRef.Key, v.ConfigMapKeyRef.Name, v.ConfigMapKeyRef.Optional != nil && *v.ConfigMapKeyRef.Optional)
	}
}

// containerResourceValue is a resourceFieldRef's value: the container's
// request or limit divided by the divisor (default 1), rounded up; ""
// for a resource it cannot read.
func containerResourceValue(fs *api.ResourceFieldSelector, c *api.Container) string {
	divisor := api.NewQuantity(1, api.DecimalSI)
	if fs.Divisor != nil && !fs.Divisor.IsZero() {
		divisor = *fs.Divisor
	}
	ceilDiv := func(a, b int64) int64 {
		if b == 0 {
			return 0
		}
		q := a / b
		if a%b != 0 {
			q++
		}
		return q
	}
	kind, name, ok := strings.Cut(fs.Resource, ".")
	if !ok {
		return ""
	}
	list := c.Resources.Limits
	if kind == "requests" {
		list = c.Resources.Requests
	} else if kind != "limits" {
		return ""
	}
	q := list[api.ResourceName(name)]
	switch name {
	case "cpu":
		return fmt.Sprint(ceilDiv(q.MilliValue(), divisor.MilliValue()))
	case "memory", "ephemeral-storage":
		return fmt.Sprint(ceilDiv(q.Value(), divisor.Value()))
	}
	return ""
}

// describeProbe is a probe on one line: its action, then delay, timeout,
// period and thresholds.
func describeProbe(p *api.Probe) string {
	attrs := fmt.Sprintf("delay=%ds timeout=%ds period=%ds #success=%d #failure=%d", p.InitialDelaySeconds, p.TimeoutSeconds, p.PeriodSeconds, p.SuccessThreshold, p.FailureThreshold)
	switch {
	case p.Exec != nil:
		return fmt.Sprintf("exec %v %s", p.Exec.Command, attrs)
	case p.HTTPGet != nil:
		u := url.URL{Scheme: strings.ToLower(string(p.HTTPGet.Scheme)), Host: p.HTTPGet.Host, Path: p.HTTPGet.Path}
		if port := p.HTTPGet.Port.String(); port != "" {
			u.Host = net.JoinHostPort(p.HTTPGet.Host, port)
		}
		return fmt.Sprintf("http-get %s %s", u.String(), attrs)
	case p.TCPSocket != nil:
		return fmt.Sprintf("tcp-socket %s:%s %s", p.TCPSocket.Host, p.TCPSocket.Port.String(), attrs)
	case p.GRPC != nil:
		service := ""
		if p.GRPC.Service != nil {
			service = *p.GRPC.Service
		}
		return fmt.Sprintf("grpc <pod>:%d %s %s", p.GRPC.Port, service, attrs)
	}
	return "unknown " + attrs
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

// describeVolumes is describe's Volumes section; space indents it inside
// a Pod Template.
func describeVolumes(w prefixWriter, volumes []api.Volume, space string) {
	if len(volumes) == 0 {
		w.line(0, "%sVolumes:\t<none>\n", space)
		return
	}
	w.line(0, "%sVolumes:\n", space)
	nameIndent := ""
	if space != "" {
		nameIndent = " "
	}
	for _, v := range volumes {
		w.line(1, "%s%v:\n", nameIndent, v.Name)
		s := v.VolumeSource
		switch {
		case s.HostPath != nil:
			typ := "<none>"
			if s.HostPath.Type != nil {
				typ = string(*s.HostPath.Type)
			}
			w.line(2, "Type:\tHostPath (bare host directory volume)\n")
			w.line(2, "Path:\t%v\n", s.HostPath.Path)
			w.line(2, "HostPathType:\t%v\n", typ)
		case s.EmptyDir != nil:
			limit := "<unset>"
			if q := s.EmptyDir.SizeLimit; q != nil && q.Sign() > 0 {
				limit = q.String()
			}
			w.line(2, "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n")
			w.line(2, "Medium:\t%v\n", s.EmptyDir.Medium)
			w.line(2, "SizeLimit:\t%v\n", limit)
		case s.Secret != nil:
			w.line(2, "Type:\tSecret (a volume populated by a Secret)\n")
			w.line(2, "SecretName:\t%v\n", s.Secret.SecretName)
			w.line(2, "Optional:\t%v\n", s.Secret.Optional != nil && *s.Secret.Optional)
		case s.ConfigMap != nil:
			w.line(2, "Type:\tConfigMap (a volume populated by a ConfigMap)\n")
			w.line(2, "Name:\t%v\n", s.ConfigMap.Name)
			w.line(2, "Optional:\t%v\n", s.ConfigMap.Optional != nil && *s.ConfigMap.Optional)
		case s.PersistentVolumeClaim != nil:
			w.line(2, "Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n")
			w.line(2, "ClaimName:\t%v\n", s.PersistentVolumeClaim.ClaimName)
			w.line(2, "ReadOnly:\t%v\n", s.PersistentVolumeClaim.ReadOnly)
		case s.DownwardAPI != nil:
			w.line(2, "Type:\tDownwardAPI (a volume populated by information about the pod)\n")
			w.line(2, "Items:\n")
			for _, item := range s.DownwardAPI.Items {
				if item.FieldRef != nil {
					w.line(3, "%v -> %v\n", item.FieldRef.FieldPath, item.Path)
				}
				if item.ResourceFieldRef != nil {
					w.line(3, "%v -> %v\n", item.ResourceFieldRef.Resource, item.Path)
				}
			}
		case s.Projected != nil:
			w.line(2, "Type:\tProjected (a volume that contains injected data from multiple sources)\n")
			projectedSources(w, s.Projected)
		default:
			w.line(2, "<unknown>\n")
		}
	}
}

// projectedSources lists a projected volume's sources as kubectl describe
// does. kubectl prints an optional flag's pointer; kubesim prints the
// flag's value (an unset one reads <nil>, as kubectl's).
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
	// kubectl flushes before the table: the table's columns are its own.
	if f, ok := w.w.(interface{ Flush() error }); ok {
		f.Flush()
	}
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
