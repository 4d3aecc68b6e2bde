package nodeshell

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kubesim/kubesim/components/kubelet"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
)

// --- systemctl and journalctl ---------------------------------------------

var unitDescriptions = map[string]string{
	"kubelet":    "kubelet: The Kubernetes Node Agent",
	"containerd": "containerd container runtime",
}

var unitDocs = map[string]string{
	"kubelet":    "https://kubernetes.io/docs/",
	"containerd": "https://containerd.io",
}

func (sh *shell) unit(name string) (cluster.Unit, bool) {
	name = strings.TrimSuffix(name, ".service")
	for _, u := range sh.c.Units(sh.node) {
		if u.Name == name {
			return u, true
		}
	}
	return cluster.Unit{}, false
}

func (sh *shell) systemctl(args []string) Result {
	var ops []string
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			ops = append(ops, a)
		}
	}
	if len(ops) == 0 {
		return fail(1, "systemctl: this shell knows: systemctl status|start|stop|restart|is-active kubelet|containerd")
	}
	verb := ops[0]
	units := ops[1:]
	switch verb {
	case "daemon-reload":
		return ok("")
	case "status", "start", "stop", "restart", "is-active", "enable", "disable":
	default:
		return fail(1, "Unknown command verb '%s'.", verb)
	}
	if len(units) == 0 {
		return fail(1, "Too few arguments.")
	}
	var res Result
	for _, name := range units {
		u, found := sh.unit(name)
		base := strings.TrimSuffix(name, ".service")
		if !found {
			if verb == "status" {
				res.Stderr += fmt.Sprintf("Unit %s.service could not be found.\n", base)
				res.Code = 4
			} else if verb == "is-active" {
				res.Stdout += "inactive\n"
				res.Code = 3
			} else {
				res.Stderr += fmt.Sprintf("Failed to %s %s.service: Unit %s.service not found.\n", verb, base, base)
				res.Code = 5
			}
			continue
		}
		switch verb {
		case "status":
			res.Stdout += sh.unitStatus(u)
			if !u.Active {
				res.Code = 3
			}
		case "is-active":
			if u.Active {
				res.Stdout += "active\n"
			} else {
				res.Stdout += "inactive\n"
				res.Code = 3
			}
		case "enable", "disable":
		default:
			r := sh.change("systemctl", cluster.NodeCommand{Op: cluster.OpSystemctl, Unit: u.Name, Action: verb})
			res.Stderr += r.Stderr
			if r.Code != 0 {
				res.Code = r.Code
			}
		}
	}
	return res
}

// ago is systemd's relative time ("2min 3s ago").
func ago(d time.Duration) string {
	d = d.Truncate(time.Second)
	switch {
	case d < time.Second:
		return "now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dmin %ds ago", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh %dmin ago", int(d.Hours()), int(d.Minutes())%60)
}

func (sh *shell) unitStatus(u cluster.Unit) string {
	k := sh.c.K
	since := k.Epoch().Add(u.Since)
	var b strings.Builder
	dot := "●"
	fmt.Fprintf(&b, "%s %s.service - %s\n", dot, u.Name, unitDescriptions[u.Name])
	if u.Name == "kubelet" {
		b.WriteString("     Loaded: loaded (/usr/lib/systemd/system/kubelet.service; enabled; preset: enabled)\n")
		b.WriteString("    Drop-In: /usr/lib/systemd/system/kubelet.service.d\n             └─10-kubeadm.conf\n")
	} else {
		b.WriteString("     Loaded: loaded (/usr/lib/systemd/system/containerd.service; enabled; preset: enabled)\n")
	}
	when := since.Format("Mon 2006-01-02 15:04:05 MST")
	var exited time.Duration
	if len(u.Starts) > 0 {
		exited = u.Starts[len(u.Starts)-1].At
	}
	switch {
	case u.Active:
		fmt.Fprintf(&b, "     Active: active (running) since %s; %s\n", when, ago(k.Now()-u.Since))
	case u.AutoRestart:
		fmt.Fprintf(&b, "     Active: activating (auto-restart) (Result: exit-code) since %s; %s\n",
			k.Epoch().Add(exited).Format("Mon 2006-01-02 15:04:05 MST"), ago(k.Now()-exited))
	default:
		fmt.Fprintf(&b, "     Active: inactive (dead) since %s; %s\n", when, ago(k.Now()-u.Since))
	}
	fmt.Fprintf(&b, "       Docs: %s\n", unitDocs[u.Name])
	if u.Active {
		fmt.Fprintf(&b, "   Main PID: %d (%s)\n", u.PID, u.Name)
		if u.Name == "kubelet" {
			fmt.Fprintf(&b, "     CGroup: /system.slice/kubelet.service\n             └─%d /usr/bin/kubelet --bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf --config=/var/lib/kubelet/config.yaml --container-runtime-endpoint=unix:///run/containerd/containerd.sock --node-ip=%s\n", u.PID, sh.c.NodeIP(sh.node))
		} else {
			fmt.Fprintf(&b, "     CGroup: /system.slice/containerd.service\n             └─%d /usr/bin/containerd\n", u.PID)
		}
	} else if u.AutoRestart {
		fmt.Fprintf(&b, "    Process: %d ExecStart=/usr/bin/%s $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS (code=exited, status=1/FAILURE)\n   Main PID: %d (code=exited, status=1/FAILURE)\n", u.PID, u.Name, u.PID)
	} else {
		fmt.Fprintf(&b, "    Process: %d ExecStart=/usr/bin/%s (code=killed, signal=TERM)\n   Main PID: %d (code=killed, signal=TERM)\n", u.PID, u.Name, u.PID)
	}
	b.WriteString("\n")
	if u.Name == "kubelet" {
		j := sh.journal("kubelet", time.Time{}, false)
		if len(j) > 10 {
			j = j[len(j)-10:]
		}
		for _, l := range j {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// journal is a unit's journal: the kubelet's log lines (zap, on virtual
// time) in journalctl's short format with klog's header; systemd's own
// lines for the unit's stops and starts are not kept (a simplification).
func (sh *shell) journal(unit string, since time.Time, haveSince bool) []string {
	actor := ""
	switch unit {
	case "kubelet":
		actor = kubelet.ActorName(sh.node)
	case "containerd":
		actor = kubelet.RuntimeName(sh.node)
	default:
		return nil
	}
	u, _ := sh.unit(unit)
	var out []string
	epoch := sh.c.K.Epoch()
	for _, l := range sh.c.K.Logs(actor) {
		t, line, ok := journalLine(sh.node, unit, func(t time.Time) int { return u.PIDAt(t.Sub(epoch)) }, l)
		if !ok || (haveSince && t.Before(since)) {
			continue
		}
		out = append(out, line)
	}
	return out
}

// journalLine turns a zap console line (time, level, logger, message,
// JSON fields) into journalctl's short format with klog's structured text:
//
//	Dec 03 15:38:31 cp-1 kubelet[745]: I1203 15:38:31.123456     745 kubelet.go] "Successfully registered node" node="cp-1"
//
// klog's file:line is not known here: the file is shown without a line.
func journalLine(node, unit string, pidAt func(time.Time) int, zapLine string) (time.Time, string, bool) {
	parts := strings.SplitN(zapLine, "\t", 5)
	if len(parts) < 4 {
		return time.Time{}, "", false
	}
	t, err := time.Parse("2006-01-02T15:04:05.000000Z07:00", parts[0])
	if err != nil {
		return time.Time{}, "", false
	}
	t = t.UTC()
	pid := pidAt(t)
	sev := "I"
	switch parts[1] {
	case "WARN":
		sev = "W"
	case "ERROR", "DPANIC", "PANIC", "FATAL":
		sev = "E"
	}
	var kv strings.Builder
	if len(parts) == 5 {
		dec := json.NewDecoder(strings.NewReader(parts[4]))
		if tok, err := dec.Token(); err == nil && tok == json.Delim('{') {
			for dec.More() {
				key, err := dec.Token()
				if err != nil {
					break
				}
				var v any
				if err := dec.Decode(&v); err != nil {
					break
				}
				if key == "node" {
					continue
				}
				name := key.(string)
				if name == "error" {
					name = "err"
				}
				val, _ := json.Marshal(fmt.Sprint(v))
				fmt.Fprintf(&kv, " %s=%s", name, val)
			}
		}
	}
	msg, _ := json.Marshal(parts[3])
	return t, fmt.Sprintf("%s %s %s[%d]: %s%s %7d %s.go] %s%s", t.Format("Jan 02 15:04:05"), node, unit, pid, sev,
		t.Format("0102 15:04:05.000000"), pid, unit, msg, kv.String()), true
}

func (sh *shell) journalctl(args []string) Result {
	unit := ""
	n := -1
	var since time.Time
	haveSince := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		val := func() (string, bool) {
			if k, v, ok := strings.Cut(a, "="); ok && strings.HasPrefix(k, "--") {
				return v, true
			}
			if i+1 < len(args) {
				i++
				return args[i], true
			}
			return "", false
		}
		switch {
		case a == "-u" || strings.HasPrefix(a, "--unit"):
			v, _ := val()
			unit = strings.TrimSuffix(v, ".service")
		case strings.HasPrefix(a, "-u") && len(a) > 2:
			unit = strings.TrimSuffix(a[2:], ".service")
		case a == "-n" || strings.HasPrefix(a, "--lines"):
			v, _ := val()
			fmt.Sscan(v, &n)
		case a == "-S" || strings.HasPrefix(a, "--since"):
			v, _ := val()
			t, err := parseSince(sh.c.K.WallTime(), v)
			if err != nil {
				return fail(1, "Failed to parse timestamp: %s", v)
			}
			since, haveSince = t, true
		case a == "-f" || a == "--follow" || a == "--no-pager" || a == "-l" || a == "-x" || a == "-e" || a == "-xe":
		default:
			return fail(1, "journalctl: this shell knows: journalctl -u kubelet|containerd [-f] [--since TIME] [-n N]")
		}
	}
	if unit == "" {
		return fail(1, "journalctl: name a unit: journalctl -u kubelet")
	}
	lines := sh.journal(unit, since, haveSince)
	if lines == nil {
		if _, found := sh.unit(unit); !found {
			return ok("-- No entries --\n")
		}
	}
	if n >= 0 && len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	if len(lines) == 0 {
		return ok("-- No entries --\n")
	}
	return ok(strings.Join(lines, "\n") + "\n")
}

// parseSince reads journalctl's --since: "YYYY-MM-DD HH:MM:SS", "HH:MM[:SS]"
// (today), "today", "N min ago", "-5min", "-10m".
func parseSince(now time.Time, v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	for _, layout := range []string{"15:04:05", "15:04"} {
		if t, err := time.Parse(layout, v); err == nil {
			y, m, d := now.Date()
			return time.Date(y, m, d, t.Hour(), t.Minute(), t.Second(), 0, time.UTC), nil
		}
	}
	switch v {
	case "today":
		y, m, d := now.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
	case "yesterday":
		y, m, d := now.Date()
		return time.Date(y, m, d-1, 0, 0, 0, 0, time.UTC), nil
	case "now":
		return now, nil
	}
	rel := strings.TrimSuffix(strings.TrimSpace(strings.TrimSuffix(v, "ago")), " ")
	rel = strings.TrimPrefix(rel, "-")
	rel = strings.ReplaceAll(rel, " ", "")
	for _, u := range [][2]string{{"minutes", "m"}, {"minute", "m"}, {"min", "m"}, {"hours", "h"}, {"hour", "h"}, {"seconds", "s"}, {"second", "s"}, {"sec", "s"}} {
		if strings.HasSuffix(rel, u[0]) {
			rel = strings.TrimSuffix(rel, u[0]) + u[1]
			break
		}
	}
	d, err := time.ParseDuration(rel)
	if err != nil {
		return time.Time{}, err
	}
	return now.Add(-d), nil
}

// --- crictl ----------------------------------------------------------------

func (sh *shell) kubelet() *kubelet.Kubelet {
	for _, kl := range sh.c.Kubelets {
		if kl.Node() == sh.node {
			return kl
		}
	}
	return nil
}

// humanDuration is docker's go-units HumanDuration, as crictl prints ages.
func humanDuration(d time.Duration) string {
	if seconds := int(d.Seconds()); seconds < 1 {
		return "Less than a second"
	} else if seconds == 1 {
		return "1 second"
	} else if seconds < 60 {
		return fmt.Sprintf("%d seconds", seconds)
	} else if minutes := int(d.Minutes()); minutes == 1 {
		return "About a minute"
	} else if minutes < 60 {
		return fmt.Sprintf("%d minutes", minutes)
	} else if hours := int(d.Hours() + 0.5); hours == 1 {
		return "About an hour"
	} else if hours < 48 {
		return fmt.Sprintf("%d hours", hours)
	} else if hours < 24*7*2 {
		return fmt.Sprintf("%d days", hours/24)
	} else if hours < 24*30*2 {
		return fmt.Sprintf("%d weeks", hours/24/7)
	} else if hours < 24*365*2 {
		return fmt.Sprintf("%d months", hours/24/30)
	}
	return fmt.Sprintf("%d years", int(d.Hours())/24/365)
}

func short(id string) string {
	if len(id) > 13 {
		return id[:13]
	}
	return id
}

func (sh *shell) crictl(args []string) Result {
	if u, found := sh.unit("containerd"); found && !u.Active {
		return fail(1, "FATA[0002] validate service connection: validate CRI v1 runtime API for endpoint \"unix:///run/containerd/containerd.sock\": rpc error: code = Unavailable desc = connection error: desc = \"transport: Error while dialing: dial unix /run/containerd/containerd.sock: connect: connection refused\"")
	}
	kl := sh.kubelet()
	if kl == nil || len(args) == 0 {
		return fail(1, "crictl: this shell knows: crictl ps [-a] [--name NAME], crictl pods, crictl logs [--tail N] ID, crictl inspect ID")
	}
	now := sh.c.K.WallTime()
	sandboxes := kl.Sandboxes()
	var ops []string
	all, tail, name, quiet := false, -1, "", false
	for i := 1; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-a" || a == "--all":
			all = true
		case a == "-q" || a == "--quiet":
			quiet = true
		case a == "--tail" && i+1 < len(args):
			fmt.Sscan(args[i+1], &tail)
			i++
		case strings.HasPrefix(a, "--tail="):
			fmt.Sscan(strings.TrimPrefix(a, "--tail="), &tail)
		case (a == "--name" || a == "--pod") && i+1 < len(args):
			name = args[i+1]
			i++
		case strings.HasPrefix(a, "-"):
			return fail(1, "FATA[0000] flag provided but not defined: %s", a)
		default:
			ops = append(ops, a)
		}
	}
	tw := func(b *bytes.Buffer) *tabwriter.Writer { return tabwriter.NewWriter(b, 20, 1, 3, ' ', 0) }
	find := func(id string) (kubelet.Sandbox, kubelet.Container, bool) {
		for _, s := range sandboxes {
			for _, c := range s.Containers {
				if id != "" && strings.HasPrefix(c.ID, id) {
					return s, c, true
				}
			}
		}
		return kubelet.Sandbox{}, kubelet.Container{}, false
	}
	switch args[0] {
	case "ps":
		var b bytes.Buffer
		w := tw(&b)
		if !quiet {
			fmt.Fprintln(w, "CONTAINER\tIMAGE\tCREATED\tSTATE\tNAME\tATTEMPT\tPOD ID\tPOD")
		}
		for _, s := range sandboxes {
			for _, c := range s.Containers {
				if (!all && !c.Running) || (name != "" && !strings.Contains(c.Name, name)) {
					continue
				}
				if quiet {
					fmt.Fprintln(w, c.ID)
					continue
				}
				state := "Exited"
				if c.Running {
					state = "Running"
				}
				fmt.Fprintf(w, "%s\t%s\t%s ago\t%s\t%s\t%d\t%s\t%s\n", short(c.ID), short(c.ImageID), humanDuration(now.Sub(c.Created)), state, c.Name, c.Attempt, short(s.ID), s.Name)
			}
		}
		w.Flush()
		return ok(b.String())
	case "pods":
		var b bytes.Buffer
		w := tw(&b)
		fmt.Fprintln(w, "POD ID\tCREATED\tSTATE\tNAME\tNAMESPACE\tATTEMPT\tRUNTIME")
		byAge := append([]kubelet.Sandbox(nil), sandboxes...)
		sort.SliceStable(byAge, func(i, j int) bool { return byAge[i].Created.After(byAge[j].Created) })
		for _, s := range byAge {
			if name != "" && !strings.Contains(s.Name, name) {
				continue
			}
			state := "NotReady"
			if s.Ready {
				state = "Ready"
			}
			fmt.Fprintf(w, "%s\t%s ago\t%s\t%s\t%s\t%d\t(default)\n", short(s.ID), humanDuration(now.Sub(s.Created)), state, s.Name, s.Namespace, s.Attempt)
		}
		w.Flush()
		return ok(b.String())
	case "logs":
		if len(ops) != 1 {
			return fail(1, "FATA[0000] ID cannot be empty")
		}
		s, c, found := find(ops[0])
		if !found {
			return fail(1, "E1203 00:00:00.000000    1 log.go] \"ContainerStatus from runtime service failed\" err=\"rpc error: code = NotFound desc = an error occurred when try to find container %q: not found\" containerID=%q\nFATA[0000] rpc error: code = NotFound desc = an error occurred when try to find container %q: not found", ops[0], ops[0], ops[0])
		}
		previous := !c.Running && func() bool {
			for _, o := range s.Containers {
				if o.Name == c.Name && o.ID != c.ID && o.Created.After(c.Created) {
					return true
				}
			}
			return false
		}()
		lines, err := kl.Logs(s.Namespace, s.Name, c.Name, previous)
		if err != nil {
			return fail(1, "FATA[0000] %v", err)
		}
		if tail >= 0 && len(lines) > tail {
			lines = lines[len(lines)-tail:]
		}
		if len(lines) == 0 {
			return ok("")
		}
		return ok(strings.Join(lines, "\n") + "\n")
	case "inspect":
		if len(ops) != 1 {
			return fail(1, "FATA[0000] ID cannot be empty")
		}
		s, c, found := find(ops[0])
		if !found {
			return fail(1, "FATA[0000] getting the status of the container %q: rpc error: code = NotFound desc = an error occurred when try to find container %q: not found", ops[0], ops[0])
		}
		return ok(inspectJSON(s, c))
	case "images":
		return fail(1, "crictl images: not modelled by this shell (see crictl ps)")
	}
	return fail(1, "No help topic for '%s'", args[0])
}

func inspectJSON(s kubelet.Sandbox, c kubelet.Container) string {
	state := "CONTAINER_EXITED"
	finished := c.Finished.UTC().Format(time.RFC3339Nano)
	if c.Running {
		state = "CONTAINER_RUNNING"
		finished = "0001-01-01T00:00:00Z"
	}
	doc := map[string]any{
		"status": map[string]any{
			"id":         c.ID,
			"metadata":   map[string]any{"attempt": c.Attempt, "name": c.Name},
			"state":      state,
			"createdAt":  c.Created.UTC().Format(time.RFC3339Nano),
			"startedAt":  c.Created.UTC().Format(time.RFC3339Nano),
			"finishedAt": finished,
			"exitCode":   c.ExitCode,
			"image":      map[string]any{"image": c.Image},
			"imageRef":   "sha256:" + c.ImageID,
			"reason":     c.Reason,
			"labels": map[string]string{
				"io.kubernetes.container.name": c.Name,
				"io.kubernetes.pod.name":       s.Name,
				"io.kubernetes.pod.namespace":  s.Namespace,
				"io.kubernetes.pod.uid":        s.UID,
			},
			"logPath": fmt.Sprintf("/var/log/pods/%s_%s_%s/%s/%d.log", s.Namespace, s.Name, s.UID, c.Name, c.Attempt),
		},
		"info": map[string]any{
			"sandboxID":   s.ID,
			"runtimeSpec": map[string]any{"process": map[string]any{"args": c.Command}},
		},
	}
	b, _ := json.MarshalIndent(doc, "", "  ")
	return string(b) + "\n"
}

// --- helpers ---------------------------------------------------------------

// latency is the kernel's one-way latency within the node: the time a
// local request takes in the model.
func latency(node string) time.Duration { return sim.DefaultLatency(node, node) }
