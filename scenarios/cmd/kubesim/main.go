// Command kubesim runs kubesim's narrated walkthroughs of a Kubernetes
// control plane, and exports their traces.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"github.com/kubesim/kubesim/components/apiserver/frontend"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/kubesim/kubesim/scenarios/drill"
	"github.com/kubesim/kubesim/scenarios/library"
	"github.com/kubesim/kubesim/scenarios/narrate"
	"github.com/kubesim/kubesim/scenarios/play"
	"github.com/kubesim/kubesim/scenarios/walkthrough"
	"github.com/kubesim/kubesim/scenarios/web"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cursor"
)

const usage = `kubesim — a deterministic, in-process Kubernetes control plane for learning.

Usage:
  kubesim <command> [flags] [arguments]

Commands:
  run [name|file]     play a narrated walkthrough (default: first-flow), a built-in
                      drill, or a drill file (drill.yaml); a failed drill exits 1;
                      --step steps through it (back, goto, until move the cursor)
  list                list the built-in walkthroughs and drills
  trace [name|file]   print a walkthrough's or a drill's trace (--format text|jsonl|mermaid|html;
                      html is a page of the whole run to open in a browser)
  explain <component> say what a component does, where it runs, what kubesim runs of it
                      today, and which walkthrough shows it
  components          boot the default cluster, let it settle, and show which component
                      runs where: its role, where a real cluster runs it, its nodes now
  serve               run a cluster the real kubectl can talk to (writes kubesim.kubeconfig;
                      --users alice,bob: a classroom, one kubeconfig per user)
  incident            hands-on incident response: start a broken cluster, fix it, check it
  ssh NODE            a shell on a node of the cluster kubesim serve runs (from another terminal)
  chaos               a workload under random faults, then heal and check the invariants;
                      a failing seed prints the command that replays it
  help [command]      show help

Run "kubesim help <command>" or "kubesim <command> --help" for a command's flags.
`

func main() {
	frontend.QuietStreamLogs()
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
	case "incident":
		return cmdIncident(rest, stdin, stdout, stderr)
	case "ssh":
		return cmdSSH(rest, stdin, stdout, stderr)
	case "chaos":
		return cmdChaos(rest, stdout, stderr)
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

// target is what `run` and `trace` play: a walkthrough program, or a drill.
type target struct {
	walk  *walkthrough.Walkthrough
	drill *drill.Drill
}

// resolve finds a walkthrough, a built-in drill or a drill file by name
// (default first-flow). The error is for the user: a broken file's
// file:line errors (exit 2), or an unknown name with what it may have meant.
func resolve(fs *flag.FlagSet) (target, error) {
	name := "first-flow"
	if fs.NArg() > 1 {
		return target{}, fmt.Errorf("kubesim: expected at most one walkthrough or drill name, got %q", fs.Args())
	}
	if fs.NArg() == 1 {
		name = fs.Arg(0)
	}
	if w, ok := walkthrough.Find(name); ok {
		return target{walk: &w}, nil
	}
	if d, ok, err := loadDrill(name); ok {
		if err != nil {
			return target{}, err
		}
		return target{drill: d}, nil
	}
	var names []string
	for _, w := range walkthrough.All() {
		names = append(names, w.Name)
	}
	names = append(names, library.Names()...)
	msg := fmt.Sprintf("kubesim: no walkthrough or drill named %q", name)
	if near := didYouMean(name, names); len(near) > 0 {
		msg += fmt.Sprintf(" — did you mean %s?", strings.Join(near, " or "))
	}
	return target{}, fmt.Errorf("%s\n(kubesim list shows them all; a drill file's name ends in .yaml)", msg)
}

// didYouMean returns the names closest to a mistyped one: within a few
// edits, or containing it.
func didYouMean(name string, names []string) []string {
	type cand struct {
		name string
		d    int
	}
	var cs []cand
	for _, n := range names {
		d := editDistance(name, n)
		if d <= 3 || (len(name) >= 4 && strings.Contains(n, name)) {
			cs = append(cs, cand{n, d})
		}
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].d < cs[j].d })
	var out []string
	for i, c := range cs {
		if i == 3 {
			break
		}
		out = append(out, fmt.Sprintf("%q", c.name))
	}
	return out
}

// editDistance is the Levenshtein distance between two names.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func cmdRun(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var c common
	var step bool
	var traceOut, format string
	fs := newFlags("run", "run [flags] [walkthrough | drill | drill.yaml]", stderr, &c)
	fs.BoolVar(&step, "step", false, "stop at every event (a drill: before every step): Enter goes on, c runs to the next checkpoint, back/goto/until move the cursor, q quits")
	fs.StringVar(&traceOut, "trace-out", "", "also write the run's trace to this file (a walkthrough's shown records, a drill's records after the boot)")
	fs.StringVar(&format, "format", "text", "format of --trace-out: text, jsonl or mermaid")
	var report, reportJSON string
	var show multiFlag
	fs.Var(&show, "show", "a view to print when the run ends (or at --at), e.g. --show \"get pods -o wide\" (repeatable; see help at the step prompt)")
	fs.StringVar(&report, "report", "", "drills: write the graded report as text to this file")
	fs.StringVar(&reportJSON, "report-json", "", "drills: write the graded report as JSON to this file")
	var at string
	fs.StringVar(&at, "at", "", "show only the record at this position (#N, or a virtual time such as 12.5s) and the --show views there")
	seedSet := false
	for _, a := range args {
		if a == "--seed" || a == "-seed" || strings.HasPrefix(a, "--seed=") || strings.HasPrefix(a, "-seed=") {
			seedSet = true
		}
	}
	if code, ok := parse(fs, args); !ok {
		return code
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
	t, err := resolve(fs)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	var shown []sim.Record
	code := 0
	if t.drill != nil && t.drill.IsIncident() {
		seed := t.drill.Seed
		if seedSet {
			seed = c.seed
		}
		return answerKey(t.drill, seed, lang, stdout, stderr)
	}
	if t.drill != nil {
		var seed *uint64
		if seedSet {
			seed = &c.seed
		}
		var in *bufio.Reader
		if step {
			in = bufio.NewReader(stdin)
		}
		res, err := drill.Run(t.drill, drill.Options{Lang: c.lang, Seed: seed, Out: stdout, Show: show, Step: in != nil, In: in, At: at})
		if err != nil {
			fmt.Fprintln(stderr, "kubesim:", err)
			return 1
		}
		if err := writeReports(res, report, reportJSON); err != nil {
			fmt.Fprintln(stderr, "kubesim:", err)
			return 1
		}
		shown = res.Shown
		if !res.Passed && at == "" {
			code = 1
		}
	} else {
		w := t.walk
		fmt.Fprintf(stdout, "kubesim walkthrough %q — %s (seed %d)\n\n", w.Name, w.Title.In(lang), c.seed)
		sess := cursor.Open(w.Program(c.seed))
		defer sess.Close()
		res, err := play.Play(sess, play.Options{Out: stdout, Lang: lang, Step: step, In: bufio.NewReader(stdin), Show: show, At: at})
		if err != nil {
			fmt.Fprintln(stderr, "kubesim:", err)
			return 1
		}
		shown = play.ShownRecords(res.Shown)
	}
	if traceOut != "" {
		var buf bytes.Buffer
		if err := writeTrace(&buf, format, shown); err != nil {
			fmt.Fprintln(stderr, "kubesim:", err)
			return 1
		}
		if err := os.WriteFile(traceOut, buf.Bytes(), 0o644); err != nil {
			fmt.Fprintln(stderr, "kubesim:", err)
			return 1
		}
	}
	return code
}

func writeReports(res *drill.Result, report, reportJSON string) error {
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
			return err
		}
	}
	return nil
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
	fs := newFlags("trace", "trace [flags] [walkthrough | drill | drill.yaml]", stderr, &c)
	fs.StringVar(&format, "format", "text", "output format: text, jsonl, mermaid, or html (one self-contained page of the whole run: timeline, cluster, sequence diagram, narration, plots)")
	seedSet := false
	for _, a := range args {
		if a == "--seed" || a == "-seed" || strings.HasPrefix(a, "--seed=") || strings.HasPrefix(a, "-seed=") {
			seedSet = true
		}
	}
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if format != "html" {
		if err := checkFormat(format); err != nil {
			fmt.Fprintln(stderr, "kubesim:", strings.Replace(err.Error(), "jsonl or mermaid", "jsonl, mermaid or html", 1))
			return 2
		}
	}
	t, err := resolve(fs)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if format == "html" {
		return traceHTML(t, c.seed, seedSet, stdout, stderr)
	}
	var shown []sim.Record
	if t.drill != nil {
		var seed *uint64
		if seedSet {
			seed = &c.seed
		}
		res, err := drill.Run(t.drill, drill.Options{Seed: seed})
		if err != nil {
			fmt.Fprintln(stderr, "kubesim:", err)
			return 1
		}
		shown = res.Shown
	} else {
		sess := cursor.Open(t.walk.Program(c.seed))
		defer sess.Close()
		res, err := play.Play(sess, play.Options{Out: io.Discard, Lang: narrate.English})
		if err != nil {
			fmt.Fprintln(stderr, "kubesim:", err)
			return 1
		}
		shown = play.ShownRecords(res.Shown)
	}
	if err := writeTrace(stdout, format, shown); err != nil {
		fmt.Fprintln(stderr, "kubesim:", err)
		return 1
	}
	return 0
}

// traceHTML writes the page of a walkthrough's or a drill's whole run
// (package web).
func traceHTML(t target, seed uint64, seedSet bool, stdout, stderr io.Writer) int {
	var d *web.Data
	var err error
	if t.drill != nil {
		dr := t.drill
		run := web.Run{Name: dr.Name, Title: narrate.Text{En: dr.Title.En, Ko: dr.Title.Ko}, Seed: dr.Seed}
		var opts drill.Options
		if seedSet {
			opts.Seed, run.Seed = &seed, seed
		}
		d, err = web.Build(run, drill.Program(dr, opts, &drill.Result{}))
	} else {
		d, err = web.Build(web.Run{Name: t.walk.Name, Title: t.walk.Title, Seed: seed}, t.walk.Program(seed))
	}
	if err == nil {
		err = web.WriteHTML(stdout, d)
	}
	if err != nil {
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
	var walks, drills, incidents []string
	for _, w := range walkthrough.All() {
		walks = append(walks, fmt.Sprintf("  %-44s %-24s %s", w.Name, w.Component, w.Title.En))
	}
	for _, name := range library.Names() {
		d, _, err := library.Load(name)
		if err != nil {
			drills = append(drills, fmt.Sprintf("  %-44s (broken: %v)", name, err))
			continue
		}
		line := fmt.Sprintf("  %-44s %-24s %s", name, d.Component, d.Title.En)
		switch {
		case d.IsWalkthrough():
			walks = append(walks, line)
		case d.IsIncident():
			incidents = append(incidents, line)
		default:
			drills = append(drills, line)
		}
	}
	fmt.Fprintln(stdout, "Walkthroughs — a flow shown working (kubesim run <name> [--step]):")
	fmt.Fprintln(stdout, strings.Join(walks, "\n"))
	fmt.Fprintln(stdout, "\nFailure drills — something breaks, expectations grade the outcome (kubesim run <name>):")
	fmt.Fprintln(stdout, strings.Join(drills, "\n"))
	fmt.Fprintln(stdout, "\nIncidents — a broken cluster for you to fix (kubesim incident start <name>):")
	fmt.Fprintln(stdout, strings.Join(incidents, "\n"))
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
