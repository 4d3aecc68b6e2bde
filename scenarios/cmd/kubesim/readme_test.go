package main

import (
	"bufio"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The repository's README cannot go stale: its sample output is what
// `make run` prints, its performance table is rendered from the results
// file `make bench` writes, its tables render, and its list of
// simplifications names every package that documents one.

const (
	repoRoot     = "../../.."
	readmePath   = repoRoot + "/README.md"
	makefilePath = repoRoot + "/Makefile"
	// BenchResults is the raw `go test -bench` output `make bench` writes.
	benchResults = repoRoot + "/.bench/results.txt"
)

func readREADME(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(readmePath)
	require.NoError(t, err)
	return string(data)
}

func writeREADME(t *testing.T, text string) {
	t.Helper()
	require.NoError(t, os.WriteFile(readmePath, []byte(text), 0o644))
}

// makeRunArgs reads the `run` target of the Makefile and returns the
// kubesim arguments it passes, with the Makefile's defaults for its
// variables and overrides ("LANG_=ko") applied.
func makeRunArgs(t *testing.T, overrides []string) []string {
	t.Helper()
	data, err := os.ReadFile(makefilePath)
	require.NoError(t, err)
	vars := map[string]string{}
	var recipe string
	lines := strings.Split(string(data), "\n")
	for i, l := range lines {
		if m := regexp.MustCompile(`^(\w+)\s*\?=\s*(.*)$`).FindStringSubmatch(l); m != nil {
			vars[m[1]] = strings.TrimSpace(m[2])
		}
		if l == "run:" && i+1 < len(lines) {
			recipe = strings.TrimSpace(lines[i+1])
		}
	}
	for _, o := range overrides {
		k, v, ok := strings.Cut(o, "=")
		require.True(t, ok, "override %q", o)
		vars[k] = v
	}
	const cmd = "$(GO) run ./scenarios/cmd/kubesim "
	require.True(t, strings.HasPrefix(recipe, cmd), "the run target runs kubesim: %q", recipe)
	var args []string
	for _, f := range strings.Fields(strings.TrimPrefix(recipe, cmd)) {
		f = regexp.MustCompile(`\$\((\w+)\)`).ReplaceAllStringFunc(f, func(v string) string {
			val, ok := vars[v[2:len(v)-1]]
			require.True(t, ok, "Makefile variable %s", v)
			return val
		})
		args = append(args, f)
	}
	return args
}

var sampleMarker = regexp.MustCompile("(?m)^<!-- sample of `(make run[^`]*)`[^\n]*-->\n```\n((?s:.*?))```\n")

// The README's sample output is what `make run` prints: each sample block
// (after a `<!-- sample of `make run ...` -->` marker) is made of excerpts
// separated by "..." lines, each starting at a step's "== " title and
// appearing, line for line, in that order, in what the command prints.
// `go test -run TestREADMESampleIsWhatMakeRunPrints -update` takes the
// excerpts again from the same titles, as many lines each.
func TestREADMESampleIsWhatMakeRunPrints(t *testing.T) {
	readme := readREADME(t)
	matches := sampleMarker.FindAllStringSubmatchIndex(readme, -1)
	require.GreaterOrEqual(t, len(matches), 2, "README.md has the English and the Korean sample of make run")
	var rebuilt strings.Builder
	last := 0
	for _, m := range matches {
		invocation := readme[m[2]:m[3]]
		block := readme[m[4]:m[5]]
		args := makeRunArgs(t, strings.Fields(strings.TrimPrefix(invocation, "make run")))
		out, errOut, code := kubesim(t, "", args...)
		require.Equal(t, 0, code, errOut)
		outLines := strings.Split(out, "\n")
		var fresh []string
		pos := 0
		for i, excerpt := range strings.Split(strings.TrimSuffix(block, "\n"), "\n...\n") {
			lines := strings.Split(excerpt, "\n")
			require.True(t, strings.HasPrefix(lines[0], "== "), "%s: excerpt %d starts at a step title (== ...): %q", invocation, i+1, lines[0])
			at := index(outLines, lines[0], pos)
			require.GreaterOrEqual(t, at, 0, "%s prints the step %q", invocation, lines[0])
			end := min(at+len(lines), len(outLines))
			fresh = append(fresh, strings.Join(outLines[at:end], "\n"))
			if !*update {
				assert.Equal(t, strings.Join(outLines[at:end], "\n"), excerpt, "%s: the README's excerpt %d is what it prints (go test -run %s -update rewrites it)", invocation, i+1, t.Name())
			}
			pos = end
		}
		rebuilt.WriteString(readme[last:m[4]])
		rebuilt.WriteString(strings.Join(fresh, "\n...\n") + "\n")
		last = m[5]
	}
	rebuilt.WriteString(readme[last:])
	if *update {
		writeREADME(t, rebuilt.String())
	}
}

func index(lines []string, want string, from int) int {
	for i := from; i < len(lines); i++ {
		if lines[i] == want {
			return i
		}
	}
	return -1
}

// benchResult is one benchmark's metrics, by unit ("ns/op", "writes/s").
type benchResult map[string]float64

// benchFile is a parsed `go test -bench` output.
type benchFile struct {
	cpu     string
	procs   string
	results map[string]benchResult // by name without "Benchmark" and the -GOMAXPROCS suffix
}

func parseBench(path string) (*benchFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	bf := &benchFile{results: map[string]benchResult{}}
	procs := regexp.MustCompile(`-(\d+)$`)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if cpu, ok := strings.CutPrefix(line, "cpu: "); ok {
			bf.cpu = strings.TrimSpace(cpu)
		}
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 4 || len(fields)%2 != 0 {
			continue // a benchmark's log line, or its name before its result
		}
		name := strings.TrimPrefix(fields[0], "Benchmark")
		if m := procs.FindStringSubmatch(name); m != nil {
			bf.procs = m[1]
			name = strings.TrimSuffix(name, m[0])
		}
		r := benchResult{}
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return nil, fmt.Errorf("%s: %q: %w", path, line, err)
			}
			r[fields[i+1]] = v
		}
		bf.results[name] = r
	}
	return bf, sc.Err()
}

// get is one metric; a benchmark or metric the file lacks is recorded in
// missing, so a renamed benchmark fails the test instead of printing zero.
func (bf *benchFile) get(missing *[]string, name, unit string) float64 {
	r, ok := bf.results[name]
	if !ok {
		*missing = append(*missing, "Benchmark"+name)
		return math.NaN()
	}
	v, ok := r[unit]
	if !ok {
		*missing = append(*missing, "Benchmark"+name+" "+unit)
		return math.NaN()
	}
	return v
}

// num prints a figure with three significant digits and thousands
// separators: 1,130,000; 17.0; 0.352.
func num(v float64) string {
	if math.IsNaN(v) {
		return "?"
	}
	if v == 0 {
		return "0"
	}
	digits := 3 - int(math.Floor(math.Log10(math.Abs(v)))) - 1
	if digits > 0 {
		return strconv.FormatFloat(v, 'f', digits, 64)
	}
	p := math.Pow(10, float64(-digits))
	s := strconv.FormatInt(int64(math.Round(v/p)*p), 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// performanceRows are the README's performance table: what was measured,
// and the figure, from the benchmarks' results.
func performanceRows(bf *benchFile) ([][2]string, []string) {
	var missing []string
	g := func(name, unit string) float64 { return bf.get(&missing, name, unit) }
	ms := func(name string) string { return num(g(name, "ns/op")/1e6) + " ms" }
	floor := g("RawChannelPingPong", "ns/op")
	rows := [][2]string{
		{"raw unbuffered-channel ping-pong between two goroutines (the floor)", num(floor) + " ns per round trip"},
		{"one kernel event (queue pop, trace record, delivery, hand-off)", fmt.Sprintf("%s ns, %.2fx the floor (goal: 1.5x)", num(g("KernelEvent", "ns/op")), g("KernelEvent", "ns/op")/floor)},
		{"a kernel Call and its reply", num(g("KernelCall", "ns/op")) + " ns per event"},
		{"etcd store put, 10k / 100k keys", fmt.Sprintf("%s / %s puts/s, %s bytes/key", num(g("Put/keys=10000", "puts/s")), num(g("Put/keys=100000", "puts/s")), num(g("Put/keys=100000", "bytes/key")))},
		{"etcd store get, 10k / 100k keys", fmt.Sprintf("%s / %s gets/s", num(g("Get/keys=10000", "gets/s")), num(g("Get/keys=100000", "gets/s")))},
		{"etcd store range, 10k / 100k keys", fmt.Sprintf("%s / %s keys/s", num(g("Range/keys=10000", "keys/s")), num(g("Range/keys=100000", "keys/s")))},
		{"etcd store watch, 10k / 100k keys", fmt.Sprintf("%s / %s events/s", num(g("Watch/keys=10000", "events/s")), num(g("Watch/keys=100000", "events/s")))},
		{"etcd transactions through raft, 1 / 3 / 5 members", fmt.Sprintf("%s / %s / %s writes/s", num(g("Txn/members=1", "writes/s")), num(g("Txn/members=3", "writes/s")), num(g("Txn/members=5", "writes/s")))},
		{"writes through kube-apiserver, 1 / 3 / 5 etcd members", fmt.Sprintf("%s / %s / %s writes/s; %s / %s / %s virtual ms per write", num(g("APIServerWrites/members=1", "writes/s")), num(g("APIServerWrites/members=3", "writes/s")), num(g("APIServerWrites/members=5", "writes/s")),
			num(g("APIServerWrites/members=1", "virtual-ms/write")), num(g("APIServerWrites/members=3", "virtual-ms/write")), num(g("APIServerWrites/members=5", "virtual-ms/write")))},
		{"etcd leader re-election after a leader crash (virtual time, mean of 20 seeds)", num(g("LeaderReelection", "virtual-s/election")) + " s (real etcd v3.6: about 1.2 s)"},
		{"create -> etcd -> watch cache -> watcher, through kube-apiserver", fmt.Sprintf("%s creates/s, %s trace records each (goal: 107,000 creates/s)", num(g("CreateToWatch", "creates/s")), num(g("CreateToWatch", "trace-records/create")))},
		{"scheduling 10,000 pods on 1,000 nodes (default plugins)", fmt.Sprintf("%s pods/s, %s µs/pod", num(g("SchedulingBasic/1000Nodes/10000Pods", "pods/s")), num(g("SchedulingBasic/1000Nodes/10000Pods", "µs/pod")))},
		{"scheduling 30,000 pods on 5,000 nodes", fmt.Sprintf("%s pods/s, %s µs/pod (goal: 10,000 pods/s)", num(g("SchedulingBasic/5000Nodes/30000Pods", "pods/s")), num(g("SchedulingBasic/5000Nodes/30000Pods", "µs/pod")))},
		{"a ReplicaSet of 500: the controller's slow-start burst", fmt.Sprintf("%s wall, %s virtual ms", ms("ReplicaSetBurst500"), num(g("ReplicaSetBurst500", "virtual-ms/op")))},
		{"kubelet: 100 pods from Pending to Ready", fmt.Sprintf("%s µs per pod, %s trace records per pod", num(g("PodStartup", "µs/pod")), num(g("PodStartup", "trace-records/pod")))},
		{"kube-proxy: one sync of 1,000 Services x 10 endpoints, iptables / eBPF", fmt.Sprintf("%s / %s, %s iptables rules", ms("Sync1000x10/sync"), ms("BPFSync1000x10"), num(g("Sync1000x10/sync", "rules")))},
		{"kube-proxy: 1,000 Services x 10 endpoints programmed on 100 nodes", fmt.Sprintf("%s s of CPU, %s MB of heap per node", num(g("ProgramRules", "cpu-ms")/1000), num(g("ProgramRules", "heap-MB")/100))},
		{"a packet's walk through 1,000 Services' rules, iptables / eBPF", fmt.Sprintf("%s / %s probes/s", num(g("Walk1000x10", "probes/s")), num(g("BPFWalk1000x10", "probes/s")))},
		{"curl from a pod (CoreDNS, kube-proxy's rules, Cilium at both ends), by IP / by name", fmt.Sprintf("%s / %s per CPU-second", num(g("Curl/10.96.12.34", "probes/cpu-s")), num(g("Curl/web", "probes/cpu-s")))},
		{"CoreDNS: a query through kubeadm's plugin chain", num(g("ServeDNS", "queries/s")) + " queries/s"},
		{"Cilium: a policy decision", num(g("Decide", "ns/op")/1000) + " µs"},
		{"`kubectl get pods` through the HTTP front end / a list of 1,000 pods as a table / as JSON", fmt.Sprintf("%s / %s / %s", ms("GetPodsTable"), ms("List1000Pods/table"), ms("List1000Pods/json"))},
		{"watch events through the HTTP front end", num(g("WatchEvents", "events/s")) + " events/s"},
		{"50 clients creating pods through the HTTP front end, with 0 / 300 watch streams open", fmt.Sprintf("%s / %s creates/s, p99 %s / %s ms (goal with 300 watchers: p99 under 100 ms)", num(g("HTTPLoad/watchers=0", "creates/s")), num(g("HTTPLoad/watchers=300", "creates/s")), num(g("HTTPLoad/watchers=0", "p99-ms")), num(g("HTTPLoad/watchers=300", "p99-ms")))},
		{"cluster boot (3 control-plane + 3 workers) to every kube-system pod Running", fmt.Sprintf("%s ms wall for %s s of virtual time (goal: under 10 ms)", num(g("Boot", "wall-ms")), num(g("Boot", "virtual-s")))},
		{"node-failure drill (3 workers, 10 replicas, 50 s grace + 300 s toleration)", fmt.Sprintf("%s ms wall for %s s virtual: %sx real time (goal: 50,000x)", num(g("NodeFailure", "wall-ms")), num(g("NodeFailure", "virtual-s")), num(g("NodeFailure", "x-real-time")))},
		{"`goto` a random record of the first flow (a jump back replays from the seed)", fmt.Sprintf("%s per jump (%s records)", ms("GotoFirstFlow"), num(g("GotoFirstFlow", "records")))},
		{"`goto` the middle, then the end, of `node-failure-eviction`", fmt.Sprintf("%s for the pair (%s records)", ms("GotoEndOfNodeFailure"), num(g("GotoEndOfNodeFailure", "records")))},
	}
	return rows, missing
}

func performanceTable(t *testing.T) string {
	t.Helper()
	bf, err := parseBench(benchResults)
	require.NoError(t, err, "make bench writes %s", benchResults)
	rows, missing := performanceRows(bf)
	require.Empty(t, missing, "%s lacks these results: run make bench", benchResults)
	var b strings.Builder
	fmt.Fprintf(&b, "Measured by `make bench` on %s (GOMAXPROCS=%s), raw results in\n[.bench/results.txt](.bench/results.txt). Wall-clock figures vary with the load of\nthe machine; virtual-time figures do not.\n\n", bf.cpu, bf.procs)
	b.WriteString("| what | figure |\n|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s |\n", r[0], r[1])
	}
	return b.String()
}

var perfSection = regexp.MustCompile(`(?s)(<!-- performance: [^\n]*-->\n)(.*?)(<!-- end of performance -->)`)

// The README's performance section is the table rendered from the results
// file; `make bench` rewrites both.
func TestREADMEPerformance(t *testing.T) {
	readme := readREADME(t)
	m := perfSection.FindStringSubmatchIndex(readme)
	require.NotNil(t, m, "README.md has a performance section between <!-- performance: ... --> and <!-- end of performance -->")
	want := performanceTable(t)
	if *update {
		writeREADME(t, readme[:m[4]]+want+readme[m[5]:])
		return
	}
	assert.Equal(t, want, readme[m[4]:m[5]], "the README's performance table is rendered from %s (go test -run %s -update)", benchResults, t.Name())
}

// Every Markdown table of the repository's READMEs renders: a header row,
// a delimiter row, and rows with as many cells, without blank lines.
func TestMarkdownTablesRender(t *testing.T) {
	var files []string
	require.NoError(t, filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != repoRoot {
			return filepath.SkipDir
		}
		if strings.HasSuffix(path, ".md") {
			files = append(files, path)
		}
		return nil
	}))
	require.NotEmpty(t, files)
	delim := regexp.MustCompile(`^\|(\s*:?-{3,}:?\s*\|)+$`)
	for _, path := range files {
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		lines := strings.Split(string(data), "\n")
		inCode := false
		for i := 0; i < len(lines); i++ {
			if strings.HasPrefix(strings.TrimSpace(lines[i]), "```") {
				inCode = !inCode
			}
			if inCode || !strings.HasPrefix(lines[i], "|") {
				continue
			}
			start := i
			for i < len(lines) && strings.HasPrefix(lines[i], "|") {
				i++
			}
			block := lines[start:i]
			where := fmt.Sprintf("%s:%d", path, start+1)
			if !assert.GreaterOrEqual(t, len(block), 2, "%s: a table has a header and a delimiter row", where) {
				continue
			}
			assert.Regexp(t, delim, block[1], "%s: the second row of a table is its delimiter row (|---|---|)", where)
			cells := countCells(block[0])
			for j, row := range block {
				assert.Equal(t, cells, countCells(row), "%s:%d: a row has as many cells as the header", path, start+j+1)
			}
			if i < len(lines) && lines[i] == "" && i+1 < len(lines) && strings.HasPrefix(lines[i+1], "|") {
				assert.Fail(t, "a blank line inside a table", "%s:%d: the rows after it are not part of the table", path, i+1)
			}
		}
	}
}

// countCells counts a table row's cells: its unescaped pipes minus one.
func countCells(row string) int {
	n := 0
	for i := 0; i < len(row); i++ {
		if row[i] == '\\' {
			i++
			continue
		}
		if row[i] == '|' {
			n++
		}
	}
	return n - 1
}

var simplifies = regexp.MustCompile(`(?i)simplif|not modelled|simulator (extension|mechanism)`)

// Every package whose doc says where kubesim simplifies is named in the
// README's list of simplifications.
func TestREADMEListsEverySimplification(t *testing.T) {
	readme := readREADME(t)
	start := strings.Index(readme, "### Where the simulator simplifies")
	require.GreaterOrEqual(t, start, 0, "README.md has a section \"Where the simulator simplifies\"")
	section := readme[start:]
	if end := strings.Index(section[4:], "\n#"); end >= 0 {
		section = section[:end+4]
	}
	var documented []string
	for _, top := range []string{"sim", "components", "scenarios"} {
		require.NoError(t, filepath.WalkDir(filepath.Join(repoRoot, top), func(path string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return err
			}
			pkgs, err := parser.ParseDir(token.NewFileSet(), path, func(fi fs.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, parser.ParseComments|parser.PackageClauseOnly)
			if err != nil {
				return err
			}
			for _, p := range pkgs {
				for _, f := range p.Files {
					if f.Doc != nil && simplifies.MatchString(f.Doc.Text()) {
						rel, _ := filepath.Rel(repoRoot, path)
						documented = append(documented, filepath.ToSlash(rel))
						return nil
					}
				}
			}
			return nil
		}))
	}
	require.NotEmpty(t, documented)
	for _, pkg := range documented {
		assert.Contains(t, section, "`"+pkg+"`", "the README's simplifications name %s, whose package doc lists some", pkg)
	}
}
