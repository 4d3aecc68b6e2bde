// Package views answers the commands a trainee types at kubesim's prompts
// (the step prompt of walkthroughs and drills, serve's prompt) or passes
// with --show: kubectl-like reads (get, describe, events), component logs,
// the node tools (iptables-save, hubble observe), etcd's own view (etcdctl
// get, etcd history) and the debugger's views of the run (trace, where,
// changes).
//
// Views are a debugger's inspection, not clients of the cluster: they read
// the components' state directly — etcd members' data directories, what
// actors published (sim.Kernel.Inspect), the kernel's logs — between
// kernel steps, and spend nothing: no message, timer, random draw or trace
// record. The trace of a run looked at after every step is the trace of the
// same run looked at never. (The real kubectl through `kubesim serve` is a
// client: its requests are in the trace.) Tables come from the printers the
// HTTP front end serves to the real kubectl.
package views

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/cilium"
	"github.com/kubesim/kubesim/components/cilium/agent"
	"github.com/kubesim/kubesim/components/cni"
	"github.com/kubesim/kubesim/components/datapath"
	"github.com/kubesim/kubesim/components/printers"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/cursor"
)

// Help lists the view commands.
const Help = `  get <resource> [name...] [-n <namespace> | -A] [-o wide|yaml|json] [-l <selector>]
                          [--show-managed-fields]
  describe <resource> [name...] [-n <namespace> | -A] [-l <selector>]
  rollout history|status <deploy|ds|sts>/<name> [--revision N] [-n <namespace>]
                          revisions and their change-cause; the rollout's state now (as --watch=false)
  events [-n <namespace> | -A]
  logs <actor>            a component's log, e.g. logs kube-scheduler-cp-1 (see: actors)
  actors                  every actor, the component it is and the node it runs on
  iptables-save <node>    the node's nat rules as kube-proxy programmed them (BPF maps in eBPF mode)
  hubble observe <node> [--pod <ns/name>] [--verdict DROPPED|FORWARDED] [--last n]
                          the flows Cilium's agent on that node saw
  etcdctl get <key> [--prefix] [--keys-only] [--rev N]
                          etcd's own view: keys under /registry/ and their values
  etcd history <key>      every revision of one key (MVCC), with what each changed
  trace [n]               the last n records up to the cursor (default 20)
  where                   the record under the cursor, its virtual time and etcd's revision
  changes [#A..#B]        what the record under the cursor (or a stretch) changed: etcd keys with
                          field-level diffs, each node's rules, and kube-scheduler's cache and queue
Views read the cluster as it is right after the record under the cursor, out of band: looking
never changes the run (no message, timer or random draw is spent).`

// HelpKo is Help in Korean (the commands stay as typed).
const HelpKo = `  get <resource> [name...] [-n <namespace> | -A] [-o wide|yaml|json] [-l <selector>]
                          [--show-managed-fields]
  describe <resource> [name...] [-n <namespace> | -A] [-l <selector>]
  rollout history|status <deploy|ds|sts>/<name> [--revision N] [-n <namespace>]
                          리비전과 change-cause; 지금의 롤아웃 상태 (--watch=false처럼)
  events [-n <namespace> | -A]
  logs <actor>            컴포넌트의 로그, 예: logs kube-scheduler-cp-1 (actors 참고)
  actors                  모든 액터, 그것이 어떤 컴포넌트인지, 어느 노드에서 도는지
  iptables-save <node>    kube-proxy가 그 노드에 프로그래밍한 nat 규칙 (eBPF 모드에서는 BPF 맵)
  hubble observe <node> [--pod <ns/name>] [--verdict DROPPED|FORWARDED] [--last n]
                          그 노드의 Cilium 에이전트가 본 흐름
  etcdctl get <key> [--prefix] [--keys-only] [--rev N]
                          etcd 자신이 보는 것: /registry/ 아래의 키와 값
  etcd history <key>      키 하나의 모든 리비전 (MVCC)과 각 리비전이 바꾼 것
  trace [n]               커서까지의 마지막 n개 기록 (기본 20)
  where                   커서 아래의 기록, 가상 시간, etcd 리비전
  changes [#A..#B]        커서 아래의 기록(또는 구간)이 바꾼 것: 필드 단위 diff가 붙은 etcd 키,
                          각 노드의 규칙, kube-scheduler의 캐시와 큐
조회 명령은 커서 아래의 기록이 전달된 직후의 클러스터를 대역 외로 읽습니다: 보는 것은 실행을
바꾸지 않습니다 (메시지, 타이머, 난수를 하나도 쓰지 않습니다).`

// HelpFor is the views' help in a language ("en" or "ko").
func HelpFor(lang string) string {
	if lang == "ko" {
		return HelpKo
	}
	return Help
}

// Prompt is how a command is shown as typed: kubectl's with "kubectl",
// the node and Cilium tools on their own.
func Prompt(cmd string) string {
	switch strings.Fields(cmd + " x")[0] {
	case "get", "describe", "events", "logs", "rollout":
		return "$ kubectl " + cmd
	}
	return "$ " + cmd
}

// ErrUnknown is returned for a line that is not a view command.
var ErrUnknown = errors.New("not a view command")

// Context is what views read: the cluster as it is at the cursor, and the
// cursor's session for the records (nil when there is none: records then
// come from the kernel's trace ring).
type Context struct {
	Cluster *cluster.Cluster
	Session *cursor.Session
}

// IsView reports whether line starts with a view command.
func IsView(line string) bool {
	f := strings.Fields(line)
	if len(f) > 0 && f[0] == "kubectl" {
		f = f[1:]
	}
	if len(f) == 0 {
		return false
	}
	switch f[0] {
	case "get", "describe", "rollout", "events", "logs", "trace", "actors", "iptables-save", "hubble", "etcdctl", "etcd", "where", "changes":
		return true
	}
	return false
}

// Exec runs one view command.
func Exec(ctx Context, line string, out io.Writer) error {
	args := strings.Fields(line)
	if len(args) > 0 && args[0] == "kubectl" {
		args = args[1:]
	}
	if len(args) == 0 || !IsView(strings.Join(args, " ")) {
		return ErrUnknown
	}
	c := ctx.Cluster
	if c == nil && args[0] != "trace" {
		return errors.New("the cluster is not up yet at this record")
	}
	f, err := parseFlags(args[1:])
	if err != nil {
		return err
	}
	switch args[0] {
	case "get":
		return get(c, f, out)
	case "describe":
		return describe(c, f, out)
	case "rollout":
		return rollout(c, f, out)
	case "events":
		f.pos = append([]string{"events"}, f.pos...)
		return get(c, f, out)
	case "logs":
		if len(f.pos) != 1 {
			return errors.New("logs needs one actor name (see: actors)")
		}
		lines := c.K.Logs(f.pos[0])
		if lines == nil {
			return fmt.Errorf("no logs for %q (see: actors)", f.pos[0])
		}
		for _, l := range lines {
			fmt.Fprintln(out, l)
		}
		return nil
	case "trace":
		n := 20
		if len(f.pos) == 1 {
			v, err := strconv.Atoi(f.pos[0])
			if err != nil || v < 1 {
				return fmt.Errorf("trace [n]: %q is not a positive number", f.pos[0])
			}
			n = v
		}
		return sim.WriteText(out, recordsUpTo(ctx, n))
	case "iptables-save":
		if len(f.pos) != 1 {
			return errors.New("iptables-save needs a node name (see: get nodes)")
		}
		rules, err := nodeRules(c, f.pos[0])
		if err != nil {
			return err
		}
		fmt.Fprint(out, rules)
		return nil
	case "hubble":
		if len(f.pos) != 2 || f.pos[0] != "observe" {
			return errors.New("usage: hubble observe <node> [--pod ns/name] [--verdict DROPPED] [--last n]")
		}
		v, err := ciliumAgent(c, f.pos[1])
		if err != nil {
			return err
		}
		fmt.Fprint(out, v.Observe(agent.ObserveRequest{Pod: f.pod, Verdict: cilium.Verdict(f.verdict), Last: f.last}))
		return nil
	case "actors":
		tw := printers.NewTabWriter(out)
		fmt.Fprintln(tw, "ACTOR\tCOMPONENT\tNODE\tSTATE\tRESTARTS")
		for _, a := range c.K.Actors() {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n", a.Name, a.Component, a.Node, a.State, a.Restarts)
		}
		return tw.Flush()
	case "etcdctl":
		return etcdctl(c, f, out)
	case "etcd":
		if len(f.pos) != 2 || f.pos[0] != "history" {
			return errors.New("usage: etcd history <key>, e.g. etcd history /registry/pods/default/web")
		}
		return history(ctx, f.pos[1], out)
	case "where":
		return where(ctx, out)
	case "changes":
		return changes(ctx, f.pos, out)
	}
	return ErrUnknown
}

// recordsUpTo is the last n records up to the cursor.
func recordsUpTo(ctx Context, n int) []sim.Record {
	if s := ctx.Session; s != nil {
		to := s.Pos()
		from := uint64(1)
		if to > uint64(n) {
			from = to - uint64(n) + 1
		}
		var out []sim.Record
		for _, e := range s.Entries(from, to) {
			out = append(out, e.Record)
		}
		return out
	}
	if ctx.Cluster == nil {
		return nil
	}
	return ctx.Cluster.K.Trace().Tail(n)
}

func nodeRules(c *cluster.Cluster, node string) (string, error) {
	if !hasNode(c, node) {
		return "", fmt.Errorf("no node named %q (nodes: %s)", node, strings.Join(nodeNames(c), ", "))
	}
	rules, ok := c.Inspect(datapath.NodeName(node)).(*datapath.Rules)
	if !ok {
		return "", fmt.Errorf("node %s is powered off: no rules to show", node)
	}
	return rules.Save(), nil
}

func ciliumAgent(c *cluster.Cluster, node string) (agent.View, error) {
	if !hasNode(c, node) {
		return agent.View{}, fmt.Errorf("no node named %q (nodes: %s)", node, strings.Join(nodeNames(c), ", "))
	}
	v, ok := c.Inspect(cni.AgentName(node)).(agent.View)
	if !ok {
		return agent.View{}, fmt.Errorf("the Cilium agent on %s is not running (its Hubble ring went with it)", node)
	}
	return v, nil
}

func hasNode(c *cluster.Cluster, node string) bool {
	for _, n := range c.K.Nodes() {
		if n.Name == node {
			return true
		}
	}
	return false
}

func nodeNames(c *cluster.Cluster) []string {
	var out []string
	for _, n := range c.K.Nodes() {
		out = append(out, n.Name)
	}
	return out
}

type flags struct {
	pod, verdict string
	last         int
	pos          []string
	namespace    string
	all          bool
	output       string
	selector     string
	prefix       bool
	keysOnly     bool
	rev          int64
	revision     int64
	// showManagedFields keeps metadata.managedFields in -o yaml/json,
	// which kubectl (and so this view) leaves out by default.
	showManagedFields bool
}

func parseFlags(args []string) (flags, error) {
	f := flags{namespace: "default"}
	for i := 0; i < len(args); i++ {
		a := args[i]
		next := func() (string, error) {
			if i+1 >= len(args) {
				return "", fmt.Errorf("flag needs an argument: %s", a)
			}
			i++
			return args[i], nil
		}
		name, value, hasValue := strings.Cut(a, "=")
		if !strings.HasPrefix(a, "-") {
			f.pos = append(f.pos, a)
			continue
		}
		val := func() (string, error) {
			if hasValue {
				return value, nil
			}
			return next()
		}
		var err error
		switch name {
		case "-n", "--namespace":
			f.namespace, err = val()
		case "-A", "--all-namespaces":
			f.all = true
		case "-o", "--output":
			f.output, err = val()
		case "-l", "--selector":
			f.selector, err = val()
		case "--pod":
			f.pod, err = val()
		case "--verdict":
			f.verdict, err = val()
		case "--last":
			var v string
			if v, err = val(); err == nil {
				f.last, err = strconv.Atoi(v)
			}
		case "--prefix":
			f.prefix = true
		case "--keys-only":
			f.keysOnly = true
		case "--show-managed-fields":
			f.showManagedFields = true
		case "--revision":
			var v string
			if v, err = val(); err == nil {
				f.revision, err = strconv.ParseInt(v, 10, 64)
			}
		case "--rev":
			var v string
			if v, err = val(); err == nil {
				f.rev, err = strconv.ParseInt(v, 10, 64)
			}
		default:
			return f, fmt.Errorf("unknown flag: %s", a)
		}
		if err != nil {
			return f, fmt.Errorf("%s: %v", a, err)
		}
	}
	switch f.output {
	case "", "wide", "yaml", "json", "name":
	default:
		return f, fmt.Errorf("unable to match a printer suitable for the output format %q, allowed formats are: json,name,wide,yaml", f.output)
	}
	return f, nil
}

func get(c *cluster.Cluster, f flags, out io.Writer) error {
	if len(f.pos) == 0 {
		return errors.New("You must specify the type of resource to get.")
	}
	info, ok := api.ResourceForName(f.pos[0])
	if !ok {
		return fmt.Errorf("error: the server doesn't have a resource type %q", f.pos[0])
	}
	ns := f.namespace
	if f.all || !info.Namespaced {
		ns = ""
	}
	var objs []api.Object
	if len(f.pos) > 1 {
		for _, name := range f.pos[1:] {
			o, err := c.StoredObject(info.Resource, ns, name)
			if err != nil {
				return errors.New(apierrors.KubectlText(err))
			}
			objs = append(objs, o)
		}
	} else {
		items, err := c.StoredObjects(info.Resource, ns, f.selector)
		if err != nil {
			return errors.New(apierrors.KubectlText(err))
		}
		objs = items
	}
	switch f.output {
	case "yaml", "json":
		for i, o := range objs {
			if i > 0 && f.output == "yaml" {
				fmt.Fprintln(out, "---")
			}
			var b []byte
			var err error
			if !f.showManagedFields && len(o.GetObjectMeta().ManagedFields) > 0 {
				o = api.DeepCopyObject(o)
				o.GetObjectMeta().ManagedFields = nil
			}
			if f.output == "yaml" {
				b, err = api.ToYAML(o)
			} else {
				b, err = api.ToJSON(o)
			}
			if err != nil {
				return err
			}
			out.Write(b)
			if f.output == "json" {
				fmt.Fprintln(out)
			}
		}
		return nil
	case "name":
		for _, o := range objs {
			fmt.Fprintf(out, "%s/%s\n", kubectlKind(info), o.GetObjectMeta().Name)
		}
		return nil
	}
	if len(objs) == 0 {
		if ns == "" {
			fmt.Fprintln(out, "No resources found")
		} else {
			fmt.Fprintf(out, "No resources found in %s namespace.\n", ns)
		}
		return nil
	}
	if info.Resource == "events" {
		sort.SliceStable(objs, func(i, j int) bool {
			return objs[i].(*api.Event).LastTimestamp.Before(objs[j].(*api.Event).LastTimestamp.Time)
		})
	}
	t := printers.TableFor(info.Resource, objs, c.K.WallTime())
	return printers.WriteText(out, t, printers.TextOptions{Wide: f.output == "wide", WithNamespace: f.all && info.Namespaced})
}

func kubectlKind(info *api.ResourceInfo) string {
	if info.Group == "" {
		return info.Singular
	}
	return info.Singular + "." + info.Group
}
