// Command kubesim runs kubesim's narrated walkthroughs of a Kubernetes
// control plane, and exports their traces.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/kubesim/kubesim/scenarios/drill"
	"github.com/kubesim/kubesim/scenarios/library"
	"github.com/kubesim/kubesim/scenarios/narrate"
	"github.com/kubesim/kubesim/scenarios/play"
	"github.com/kubesim/kubesim/scenarios/walkthrough"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cursor"
)

const usage = `kubesim — a deterministic, in-process Kubernetes control plane for learning.

Usage:
  kubesim <command> [flags] [arguments]

Commands:
  run [name|file]     play a narrated walkthrough (default: first-flow), a built-in
                      drill, or a drill file (drill.yaml); a failed drill exits 1
  list                list the built-in walkthroughs and drills
  trace [walkthrough] print a walkthrough's trace (--format text|jsonl|mermaid)
  explain <component> say what a component does and where it runs
  components          boot the default cluster and show which component runs where
  serve               run a cluster the real kubectl can talk to (writes kubesim.kubeconfig)
  help [command]      show help

Run "kubesim help <command>" or "kubesim <command> --help" for a command's flags.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "run":
		return cmdRun(rest, stdin, stdout, stderr)
	case "list":
		return cmdList(rest, stdout, stderr)
	case "trace":
		return cmdTrace(rest, stdout, stderr)
	case "explain":
		return cmdExplain(rest, stdout, stderr)
	case "components":
		return cmdComponents(rest, stdout, stderr)
	case "serve":
		return cmdServe(rest, stdin, stdout, stderr)
	case "help", "-h", "--help":
		if len(rest) > 0 {
			return run([]string{rest[0], "--help"}, stdin, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "kubesim: unknown command %q\n\n%s", cmd, usage)
	return 2
}

type common struct {
	lang string
	seed uint64
}

func newFlags(name, synopsis string, stderr io.Writer, c *common) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: kubesim %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	if c != nil {
		fs.StringVar(&c.lang, "lang", "en", "narration language: en or ko")
		fs.Uint64Var(&c.seed, "seed", 1, "seed of every random choice in the run; the same seed gives the same trace")
	}
	return fs
}

// parse handles --help (exit 0) and bad flags (exit 2). Flags may come
// before or after the arguments ("explain etcd --lang ko").
func parse(fs *flag.FlagSet, args []string) (int, bool) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0, false
			}
			return 2, false
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	fs.Parse(append([]string{"--"}, positional...))
	return 0, true
}

func pickWalkthrough(fs *flag.FlagSet, stderr io.Writer) (walkthrough.Walkthrough, bool) {
	name := "first-flow"
	if fs.NArg() > 1 {
		fmt.Fprintf(stderr, "kubesim: expected at most one walkthrough name, got %q\n", fs.Args())
		return walkthrough.Walkthrough{}, false
	}
	if fs.NArg() == 1 {
		name = fs.Arg(0)
	}
	w, ok := walkthrough.Find(name)
	if !ok {
		var names []string
		for _, w := range walkthrough.All() {
			names = append(names, w.Name)
		}
		fmt.Fprintf(stderr, "kubesim: no walkthrough or drill named %q (walkthroughs: %s; drills: %s; or a drill file ending in .yaml)\n", name, strings.Join(names, ", "), strings.Join(library.Names(), ", "))
		return walkthrough.Walkthrough{}, false
	}
	return w, true
}

func cmdRun(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var c common
	var step bool
	var traceOut, format string
	fs := newFlags("run", "run [flags] [walkthrough]", stderr, &c)
	fs.BoolVar(&step, "step", false, "stop after every event: Enter for the next one, c to run to the next checkpoint, q to quit")
	fs.StringVar(&traceOut, "trace-out", "", "also write the walkthrough's trace to this file")
	fs.StringVar(&format, "format", "text", "format of --trace-out: text, jsonl or mermaid")
	var report, reportJSON string
	var show multiFlag
	fs.Var(&show, "show", "a view to print when the run ends, e.g. --show \"get pods -o wide\" (repeatable; get, describe, events, logs, trace, actors)")
	fs.StringVar(&report, "report", "", "drills: write the graded report as text to this file")
	fs.StringVar(&reportJSON, "report-json", "", "drills: write the graded report as JSON to this file")
	var at string
	fs.StringVar(&at, "at", "", "show only the record at this position (#N or a virtual time such as 12.5s) and the --show views there")
	seedSet := false
	for _, a := range args {
		if a == "--seed" || a == "-seed" || strings.HasPrefix(a, "--seed=") || strings.HasPrefix(a, "-seed=") {
			seedSet = true
		}
	}
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if fs.NArg() == 1 {
		if d, ok, err := loadDrill(fs.Arg(0)); ok {
			if err != nil {
				fmt.Fprintln(stderr, err)
				return 2
			}
			var seed *uint64
			if seedSet {
				seed = &c.seed
			}
			var in *bufio.Reader
			if step {
				in = bufio.NewReader(stdin)
			}
			return playDrill(d, c.lang, seed, report, reportJSON, show, in, stdout, stderr)
		}
	}
	lang, err := narrate.ParseLang(c.lang)
	if err != nil {
		fmt.Fprintln(stderr, "kubesim:", err)
		return 2
	}
	if err := checkFormat(format); err != nil {
		fmt.Fprintln(stderr, "kubesim:", err)
		return 2
	}
	w, ok := pickWalkthrough(fs, stderr)
	if !ok {
		return 2
	}
	fmt.Fprintf(stdout, "kubesim walkthrough %q — %s (seed %d)\n\n", w.Name, w.Title.In(lang), c.seed)
	sess := cursor.Open(w.Program(c.seed))
	defer sess.Close()
	res, err := play.Play(sess, play.Options{Out: stdout, Lang: lang, Step: step, In: bufio.NewReader(stdin), Show: show, At: at})
	if err != nil {
		fmt.Fprintln(stderr, "kubesim:", err)
		return 1
	}
	if traceOut != "" {
		var buf bytes.Buffer
		if err := writeTrace(&buf, format, play.ShownRecords(res.Shown)); err != nil {
			fmt.Fprintln(stderr, "kubesim:", err)
			return 1
		}
		if err := os.WriteFile(traceOut, buf.Bytes(), 0o644); err != nil {
			fmt.Fprintln(stderr, "kubesim:", err)
			return 1
		}
	}
	return 0
}

func checkFormat(f string) error {
	switch f {
	case "text", "jsonl", "mermaid":
		return nil
	}
	return fmt.Errorf("unknown trace format %q: expected text, jsonl or mermaid", f)
}

func writeTrace(w io.Writer, format string, recs []sim.Record) error {
	switch format {
	case "jsonl":
		return sim.WriteJSONL(w, recs)
	case "mermaid":
		return sim.WriteMermaid(w, recs)
	}
	return sim.WriteText(w, recs)
}

func cmdTrace(args []string, stdout, stderr io.Writer) int {
	var c common
	var format string
	fs := newFlags("trace", "trace [flags] [walkthrough]", stderr, &c)
	fs.StringVar(&format, "format", "text", "output format: text, jsonl or mermaid")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if err := checkFormat(format); err != nil {
		fmt.Fprintln(stderr, "kubesim:", err)
		return 2
	}
	w, ok := pickWalkthrough(fs, stderr)
	if !ok {
		return 2
	}
	sess := cursor.Open(w.Program(c.seed))
	defer sess.Close()
	res, err := play.Play(sess, play.Options{Out: io.Discard, Lang: narrate.English})
	if err != nil {
		fmt.Fprintln(stderr, "kubesim:", err)
		return 1
	}
	if err := writeTrace(stdout, format, play.ShownRecords(res.Shown)); err != nil {
		fmt.Fprintln(stderr, "kubesim:", err)
		return 1
	}
	return 0
}

func cmdList(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("list", "list", stderr, nil)
	if code, ok := parse(fs, args); !ok {
		return code
	}
	fmt.Fprintln(stdout, "Walkthroughs (kubesim run <name>):")
	for _, w := range walkthrough.All() {
		fmt.Fprintf(stdout, "  %-26s %-24s %s\n", w.Name, w.Component, w.Title.En)
	}
	fmt.Fprintln(stdout, "Drills (kubesim run <name>):")
	for _, name := range library.Names() {
		d, _, err := library.Load(name)
		if err != nil {
			fmt.Fprintf(stdout, "  %-26s (broken: %v)\n", name, err)
			continue
		}
		fmt.Fprintf(stdout, "  %-26s %-24s %s\n", name, d.Component, d.Title.En)
	}
	return 0
}

// loadDrill finds a drill: a built-in name, or a file. ok is false when
// the argument is neither (it may name a walkthrough).
func loadDrill(arg string) (*drill.Drill, bool, error) {
	if d, ok, err := library.Load(arg); ok {
		return d, true, err
	}
	if strings.HasSuffix(arg, ".yaml") || strings.HasSuffix(arg, ".yml") {
		d, err := drill.Load(arg)
		return d, true, err
	}
	return nil, false, nil
}

func playDrill(d *drill.Drill, lang string, seed *uint64, report, reportJSON string, show []string, in *bufio.Reader, stdout, stderr io.Writer) int {
	if _, err := narrate.ParseLang(lang); err != nil {
		fmt.Fprintln(stderr, "kubesim:", err)
		return 2
	}
	res, err := drill.Run(d, drill.Options{Lang: lang, Seed: seed, Out: stdout, Show: show, Step: in != nil, In: in})
	if err != nil {
		fmt.Fprintln(stderr, "kubesim:", err)
		return 1
	}
	for _, out := range []struct {
		path  string
		write func(io.Writer, *drill.Result) error
	}{{report, drill.WriteReport}, {reportJSON, drill.WriteJSON}} {
		if out.path == "" {
			continue
		}
		var buf bytes.Buffer
		out.write(&buf, res)
		if err := os.WriteFile(out.path, buf.Bytes(), 0o644); err != nil {
			fmt.Fprintln(stderr, "kubesim:", err)
			return 1
		}
	}
	if !res.Passed {
		return 1
	}
	return 0
}

func cmdExplain(args []string, stdout, stderr io.Writer) int {
	var lang string
	fs := newFlags("explain", "explain [--lang en|ko] <component>", stderr, nil)
	fs.StringVar(&lang, "lang", "en", "language: en or ko")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	l, err := narrate.ParseLang(lang)
	if err != nil {
		fmt.Fprintln(stderr, "kubesim:", err)
		return 2
	}
	names := narrate.Components()
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "kubesim: explain needs one component: %s\n", strings.Join(names, ", "))
		return 2
	}
	text, ok := narrate.Explain(fs.Arg(0), l)
	if !ok {
		sort.Strings(names)
		fmt.Fprintf(stderr, "kubesim: unknown component %q (known: %s)\n", fs.Arg(0), strings.Join(names, ", "))
		return 2
	}
	fmt.Fprintln(stdout, text)
	return 0
}

// multiFlag collects a repeatable flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, "; ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
