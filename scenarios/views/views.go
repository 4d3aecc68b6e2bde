// Package views answers the kubectl-like commands a trainee types at
// kubesim's step-mode prompt or passes with --show: get, describe, events,
// logs and trace. Reads go through kube-apiserver like kubectl's (they show
// in the trace as requests from kubectl), and tables come from the same
// printers the HTTP front end serves to the real kubectl.
package views

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/cilium"
	"github.com/kubesim/kubesim/components/cilium/agent"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/cni"
	"github.com/kubesim/kubesim/components/datapath"
	"github.com/kubesim/kubesim/components/printers"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
)

// Help lists the commands.
const Help = `  get <resource> [name] [-n <namespace> | -A] [-o wide|yaml] [-l <selector>]
  describe pod <name> [-n <namespace>]
  events [-n <namespace> | -A]
  logs <actor>            (a component's log, e.g. logs kube-scheduler-cp-1)
  trace [n]               (the last n trace lines, default 20)
  actors                  (every actor and where it runs)
  iptables-save <node>    (the node's nat rules as kube-proxy programmed them; the BPF maps in eBPF mode)
  hubble observe <node> [--pod <ns/name>] [--verdict DROPPED|FORWARDED] [--last n]
                          (the flows Cilium's agent on that node saw)`

// Prompt is how a command is shown as typed: kubectl's with "kubectl",
// the node and Cilium tools on their own.
func Prompt(cmd string) string {
	switch strings.Fields(cmd + " x")[0] {
	case "get", "describe", "events", "logs":
		return "$ kubectl " + cmd
	}
	return "$ " + cmd
}

// ErrUnknown is returned for a line that is not a view command.
var ErrUnknown = errors.New("not a view command")

// Exec runs one command line against the cluster. Its requests come from
// their own kubectl endpoint ("kubectl-view"), so they can be made while a
// walkthrough's own kubectl waits for a reply.
func Exec(c *cluster.Cluster, line string, out io.Writer) error {
	cl := client.New(c.K.External("kubectl-view", ""), cluster.AdminToken, c.APIServers...)
	cl.UserAgent = "kubectl"
	return exec(c, cl, line, out)
}

func exec(c *cluster.Cluster, cl *client.Client, line string, out io.Writer) error {
	args := strings.Fields(line)
	if len(args) == 0 {
		return ErrUnknown
	}
	if args[0] == "kubectl" {
		args = args[1:]
		if len(args) == 0 {
			return ErrUnknown
		}
	}
	f, err := parseFlags(args[1:])
	if err != nil {
		return err
	}
	switch args[0] {
	case "get":
		return get(c, cl, f, out)
	case "describe":
		return describe(c, cl, f, out)
	case "events":
		f.pos = append([]string{"events"}, f.pos...)
		return get(c, cl, f, out)
	case "logs":
		if len(f.pos) != 1 {
			return fmt.Errorf("logs needs one actor name (see: actors)")
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
			if v, err := strconv.Atoi(f.pos[0]); err == nil && v > 0 {
				n = v
			}
		}
		return sim.WriteText(out, c.K.Trace().Tail(n))
	case "iptables-save":
		if len(f.pos) != 1 {
			return fmt.Errorf("iptables-save needs a node name")
		}
		m, err := c.K.External("node-shell-"+f.pos[0], f.pos[0]).Call(datapath.NodeName(f.pos[0]), datapath.KindSave, nil, 10*time.Second)
		if err != nil {
			return fmt.Errorf("node %s: %v", f.pos[0], err)
		}
		fmt.Fprint(out, m.Body.(string))
		return nil
	case "hubble":
		if len(f.pos) != 2 || f.pos[0] != "observe" {
			return fmt.Errorf("usage: hubble observe <node> [--pod ns/name] [--verdict DROPPED] [--last n]")
		}
		req := agent.ObserveRequest{Pod: f.pod, Verdict: cilium.Verdict(f.verdict), Last: f.last}
		m, err := c.K.External("hubble-cli", f.pos[1]).Call(cni.AgentName(f.pos[1]), agent.KindObserve, req, 10*time.Second)
		if err != nil {
			return fmt.Errorf("cilium agent on %s: %v", f.pos[1], err)
		}
		fmt.Fprint(out, m.Body.(string))
		return nil
	case "actors":
		tw := printers.NewTabWriter(out)
		fmt.Fprintln(tw, "ACTOR\tCOMPONENT\tNODE\tSTATE\tRESTARTS")
		for _, a := range c.K.Actors() {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n", a.Name, a.Component, a.Node, a.State, a.Restarts)
		}
		return tw.Flush()
	}
	return ErrUnknown
}

type flags struct {
	pod, verdict string
	last         int
	pos          []string
	namespace    string
	all          bool
	output       string
	selector     string
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
		var err error
		switch {
		case a == "-n" || a == "--namespace":
			f.namespace, err = next()
		case strings.HasPrefix(a, "--namespace="):
			f.namespace = strings.TrimPrefix(a, "--namespace=")
		case a == "-A" || a == "--all-namespaces":
			f.all = true
		case a == "-o" || a == "--output":
			f.output, err = next()
		case strings.HasPrefix(a, "-o="), strings.HasPrefix(a, "--output="):
			f.output = a[strings.Index(a, "=")+1:]
		case a == "-l" || a == "--selector":
			f.selector, err = next()
		case a == "--pod":
			f.pod, err = next()
		case a == "--verdict":
			f.verdict, err = next()
		case a == "--last":
			var v string
			if v, err = next(); err == nil {
				f.last, err = strconv.Atoi(v)
			}
		case strings.HasPrefix(a, "-"):
			return f, fmt.Errorf("unknown flag: %s", a)
		default:
			f.pos = append(f.pos, a)
		}
		if err != nil {
			return f, err
		}
	}
	return f, nil
}

func get(c *cluster.Cluster, cl *client.Client, f flags, out io.Writer) error {
	if len(f.pos) == 0 {
		return fmt.Errorf("You must specify the type of resource to get.")
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
			o, err := cl.Get(info.Resource, ns, name)
			if err != nil {
				return errors.New(apierrors.KubectlText(err))
			}
			objs = append(objs, o)
		}
	} else {
		items, _, err := cl.List(info.Resource, ns, client.ListOptions{LabelSelector: f.selector})
		if err != nil {
			return errors.New(apierrors.KubectlText(err))
		}
		objs = items
	}
	if f.output == "yaml" {
		for i, o := range objs {
			if i > 0 {
				fmt.Fprintln(out, "---")
			}
			b, err := api.ToYAML(o)
			if err != nil {
				return err
			}
			out.Write(b)
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

func describe(c *cluster.Cluster, cl *client.Client, f flags, out io.Writer) error {
	if len(f.pos) != 2 {
		return fmt.Errorf("describe needs a type and a name: describe pod web")
	}
	info, ok := api.ResourceForName(f.pos[0])
	if !ok || info.Resource != "pods" {
		return fmt.Errorf("describe supports pods here; use get %s %s -o yaml", f.pos[0], f.pos[1])
	}
	obj, err := cl.Get("pods", f.namespace, f.pos[1])
	if err != nil {
		return errors.New(apierrors.KubectlText(err))
	}
	pod := obj.(*api.Pod)
	items, _, err := cl.List("events", f.namespace, client.ListOptions{
		FieldSelector: "involvedObject.name=" + pod.Name + ",involvedObject.namespace=" + pod.Namespace + ",involvedObject.uid=" + string(pod.UID)})
	if err != nil {
		return errors.New(apierrors.KubectlText(err))
	}
	events := make([]api.Event, 0, len(items))
	for _, o := range items {
		events = append(events, *o.(*api.Event))
	}
	return printers.DescribePod(out, pod, events, c.K.WallTime())
}

// Ask prints question, then reads lines from in, answering view commands
// and help, until a line that is not one: it returns that line trimmed
// ("" for Enter, "c", "q"), or ok=false at the end of input. c may be nil
// before the cluster is up.
func Ask(c *cluster.Cluster, in *bufio.Reader, out io.Writer, question string) (answer string, ok bool) {
	for {
		fmt.Fprint(out, question)
		line, err := in.ReadString('\n')
		if err != nil && line == "" {
			return "", false
		}
		switch cmd := strings.TrimSpace(line); cmd {
		case "", "c", "q":
			return cmd, true
		case "help", "?":
			fmt.Fprintln(out, Help)
		default:
			if c == nil {
				fmt.Fprintln(out, "  (the cluster is not up yet)")
				continue
			}
			if err := Exec(c, cmd, out); errors.Is(err, ErrUnknown) {
				fmt.Fprintf(out, "  unknown command %q; type help\n", cmd)
			} else if err != nil {
				fmt.Fprintln(out, "  "+err.Error())
			}
		}
	}
}

// Show prints each command as typed, then its answer.
func Show(c *cluster.Cluster, cmds []string, out io.Writer) {
	for _, cmd := range cmds {
		fmt.Fprintf(out, "\n%s\n", Prompt(cmd))
		if err := Exec(c, cmd, out); err != nil {
			fmt.Fprintln(out, err)
		}
	}
}
