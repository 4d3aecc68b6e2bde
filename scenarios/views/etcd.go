package views

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/kubesim/kubesim/components/etcd/mvcc"
	"github.com/kubesim/kubesim/components/scheduler"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/cursor"
)

// etcdctl answers `etcdctl get`, reading the newest member's data directory
// as `etcdctl get` prints: each key on a line, then its value.
func etcdctl(c *cluster.Cluster, f flags, out io.Writer) error {
	if len(f.pos) != 2 || f.pos[0] != "get" {
		return errors.New("usage: etcdctl get <key> [--prefix] [--keys-only] [--rev N], e.g. etcdctl get /registry/pods --prefix --keys-only")
	}
	_, st := c.Store()
	if st == nil {
		return errors.New("etcd has no data directory yet")
	}
	key, end := f.pos[1], ""
	if f.prefix {
		end = mvcc.PrefixEnd(key)
	}
	res, err := st.Range(key, end, mvcc.RangeOptions{Rev: f.rev, KeysOnly: f.keysOnly})
	if err != nil {
		return fmt.Errorf("Error: etcdserver: %v", err)
	}
	for _, kv := range res.KVs {
		fmt.Fprintln(out, kv.Key)
		if !f.keysOnly {
			fmt.Fprintln(out, string(kv.Value))
		}
	}
	return nil
}

// history lists every retained revision of one key, with the field-level
// change each made, and the record that wrote it when the cursor knows.
func history(ctx Context, key string, out io.Writer) error {
	name, st := ctx.Cluster.Store()
	if st == nil {
		return errors.New("etcd has no data directory yet")
	}
	evs := st.History(key)
	if len(evs) == 0 {
		return fmt.Errorf("%s: no such key in %s's store (try: etcdctl get /registry/ --prefix --keys-only)", key, name)
	}
	fmt.Fprintf(out, "%s in %s (store revision %d, compacted at %d)\n", key, name, st.Rev(), st.FirstRev())
	var prev []byte
	for _, ev := range evs {
		rev := ev.KV.ModRevision
		where := ""
		if n, ok := recordOfRevision(ctx.Session, rev); ok {
			where = fmt.Sprintf("  written by #%d", n)
		}
		if ev.Type == mvcc.EventDelete {
			fmt.Fprintf(out, "  revision %d  DELETE%s\n", rev, where)
			prev = nil
			continue
		}
		what := "update"
		if ev.KV.Version == 1 {
			what = "create"
		}
		fmt.Fprintf(out, "  revision %d  PUT (%s, version %d, created at %d)%s\n", rev, what, ev.KV.Version, ev.KV.CreateRevision, where)
		for _, line := range Diff(prev, ev.KV.Value) {
			fmt.Fprintln(out, "      "+line)
		}
		prev = ev.KV.Value
	}
	return nil
}

// recordOfRevision finds the first record whose pause ended with etcd at
// rev or later: the record under which the revision was committed.
func recordOfRevision(s *cursor.Session, rev int64) (uint64, bool) {
	if s == nil {
		return 0, false
	}
	n := s.Len()
	i := sort.Search(int(n), func(i int) bool {
		e, _ := s.Entry(uint64(i + 1))
		return e.Probe >= rev
	})
	if i >= int(n) {
		return 0, false
	}
	if e, _ := s.Entry(uint64(i + 1)); e.Probe == 0 {
		return 0, false
	}
	return uint64(i + 1), true
}

// where says where the cursor is.
func where(ctx Context, out io.Writer) error {
	s := ctx.Session
	if s == nil || s.Pos() == 0 {
		return errors.New("there is no cursor here: where works in step mode")
	}
	e, _ := s.Entry(s.Pos())
	total := fmt.Sprintf("of %d so far", s.Len())
	if s.Done() {
		total = fmt.Sprintf("of %d", s.Len())
	}
	fmt.Fprintf(out, "record #%d %s, at virtual time %s\n", e.N, total, strings.TrimSpace(sim.FormatVirtual(e.Time)))
	fmt.Fprintln(out, "  "+e.Text())
	if ctx.Cluster != nil {
		if name, st := ctx.Cluster.Store(); st != nil {
			fmt.Fprintf(out, "etcd revision %d (%s's store)\n", st.Rev(), name)
		}
	}
	return nil
}

// changes shows what the pause under the cursor wrote to etcd (or a stretch
// of records: changes #A..#B), as field-level diffs, and how each node's
// rules changed.
func changes(ctx Context, args []string, out io.Writer) error {
	s := ctx.Session
	if s == nil || s.Pos() == 0 {
		return errors.New("changes works at a cursor (step mode): it compares the state before and after a record")
	}
	from, to := s.Pos(), s.Pos()
	if len(args) == 1 {
		a, b, ok := strings.Cut(args[0], "..")
		fa, errA := parseRecordNumber(a)
		fb, errB := parseRecordNumber(b)
		if !ok || errA != nil || errB != nil || fa > fb {
			return fmt.Errorf("changes %s: expected #A..#B with A <= B, e.g. changes #4863..#4880", args[0])
		}
		if fb > s.Len() {
			return fmt.Errorf("changes: #%d is not known yet (the run has reached #%d)", fb, s.Len())
		}
		from, to = fa, fb
	} else if len(args) > 1 {
		return errors.New("usage: changes [#A..#B]")
	}
	first, _ := s.Entry(from)
	last, _ := s.Entry(to)
	// The state before: the end of the pause before first's.
	before := uint64(0)
	for n := from; n > 1; n-- {
		if e, _ := s.Entry(n - 1); e.Pause != first.Pause {
			before = n - 1
			break
		}
	}
	var revBefore int64
	if before > 0 {
		e, _ := s.Entry(before)
		revBefore = e.Probe
	}
	revAfter := last.Probe
	if from == to {
		fmt.Fprintf(out, "#%d %s\n", first.N, first.Text())
	} else {
		fmt.Fprintf(out, "#%d..#%d (%s .. %s)\n", from, to, strings.TrimSpace(sim.FormatVirtual(first.Time)), strings.TrimSpace(sim.FormatVirtual(last.Time)))
	}
	cur := s.Pos()
	// Component state after, at `to`; then before, at `before`.
	if err := s.Seek(to); err != nil {
		return err
	}
	w, err := s.World()
	if err != nil {
		return err
	}
	c := w.(*cluster.Cluster)
	_, st := c.Store()
	var etcdLines []string
	if st != nil && revAfter > revBefore {
		for _, ev := range st.Changes(revBefore, revAfter) {
			var prev []byte
			if ev.PrevKV != nil {
				prev = ev.PrevKV.Value
			}
			if ev.Type == mvcc.EventDelete {
				etcdLines = append(etcdLines, fmt.Sprintf("  revision %d  DELETE %s", ev.KV.ModRevision, ev.KV.Key))
				continue
			}
			etcdLines = append(etcdLines, fmt.Sprintf("  revision %d  PUT %s", ev.KV.ModRevision, ev.KV.Key))
			for _, line := range Diff(prev, ev.KV.Value) {
				etcdLines = append(etcdLines, "      "+line)
			}
		}
	}
	after := localState(c)
	var beforeState map[string]string
	if before > 0 {
		if err := s.Seek(before); err != nil {
			return err
		}
		wb, err := s.World()
		if err != nil {
			return err
		}
		if cb, ok := wb.(*cluster.Cluster); ok {
			beforeState = localState(cb)
		}
	}
	if err := s.Seek(cur); err != nil {
		return err
	}
	if len(etcdLines) == 0 {
		fmt.Fprintln(out, "etcd: nothing written")
	} else {
		fmt.Fprintf(out, "etcd: revision %d -> %d\n", revBefore, revAfter)
		for _, l := range etcdLines {
			fmt.Fprintln(out, l)
		}
	}
	local := diffStates(beforeState, after)
	if len(local) == 0 {
		fmt.Fprintln(out, "components: no node rule or scheduler cache changed")
	}
	for _, l := range local {
		fmt.Fprintln(out, l)
	}
	return nil
}

func parseRecordNumber(s string) (uint64, error) {
	return strconv.ParseUint(strings.TrimPrefix(strings.TrimSpace(s), "#"), 10, 64)
}

// localState is the component-local state worth a diff, by name: each
// node's programmed rules, and the leading kube-scheduler's cache and queue.
func localState(c *cluster.Cluster) map[string]string {
	out := map[string]string{}
	for _, n := range c.K.Nodes() {
		if rules, err := nodeRules(c, n.Name); err == nil {
			out["iptables-save "+n.Name] = rules
		}
	}
	for _, name := range c.Schedulers {
		if v, ok := c.Inspect(name).(scheduler.View); ok && c.K.Running(name) && v.Leading() {
			out["scheduler cache ("+name+")"] = strings.Join(v.Cache(), "\n") + "\n"
		}
	}
	return out
}

// diffStates lists, per named state, the lines removed (-) and added (+).
func diffStates(before, after map[string]string) []string {
	names := map[string]bool{}
	for k := range before {
		names[k] = true
	}
	for k := range after {
		names[k] = true
	}
	keys := make([]string, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		if before[k] == after[k] {
			continue
		}
		removed, added := lineDiff(before[k], after[k])
		out = append(out, fmt.Sprintf("%s: %d line(s) removed, %d added", k, len(removed), len(added)))
		for _, l := range removed {
			out = append(out, "  - "+l)
		}
		for _, l := range added {
			out = append(out, "  + "+l)
		}
	}
	return out
}

// lineDiff compares two texts as multisets of lines, in the order each
// side has them.
func lineDiff(a, b string) (removed, added []string) {
	count := map[string]int{}
	for _, l := range strings.Split(b, "\n") {
		count[l]++
	}
	for _, l := range strings.Split(a, "\n") {
		if count[l] > 0 {
			count[l]--
			continue
		}
		if l != "" {
			removed = append(removed, l)
		}
	}
	seen := map[string]int{}
	for _, l := range strings.Split(a, "\n") {
		seen[l]++
	}
	for _, l := range strings.Split(b, "\n") {
		if seen[l] > 0 {
			seen[l]--
			continue
		}
		if l != "" {
			added = append(added, l)
		}
	}
	return removed, added
}

// Diff compares two stored JSON values field by field and returns one line
// per changed leaf, sorted by path:
//
//	spec.nodeName: "" -> "worker-2"
//	status.conditions[1]: <none> -> {"type":"PodScheduled","status":"True"}
//
// A nil before means the object was created: every field is new, so only
// the top-level fields are listed. metadata.managedFields are left out.
func Diff(before, after []byte) []string {
	var a, b any
	if err := json.Unmarshal(after, &b); err != nil {
		return []string{"(not JSON: " + strconv.Itoa(len(after)) + " bytes)"}
	}
	if before == nil {
		m, ok := b.(map[string]any)
		if !ok {
			return []string{"created: " + compact(b)}
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := []string{"created with " + strings.Join(keys, ", ")}
		if md, ok := m["metadata"].(map[string]any); ok {
			if name, ok := md["name"].(string); ok {
				out[0] += fmt.Sprintf(" (name %q)", name)
			}
		}
		return out
	}
	if err := json.Unmarshal(before, &a); err != nil {
		return []string{"(not JSON before)"}
	}
	// metadata.managedFields change with almost every write; like kubectl,
	// the diff leaves them out, and says so only when nothing else changed.
	am, bm := managedFieldsOf(a), managedFieldsOf(b)
	var out []string
	diffValue("", a, b, &out)
	if len(out) == 0 && compact(am) != compact(bm) {
		out = append(out, "metadata.managedFields: changed (only the record of who owns which field)")
	}
	sort.Strings(out)
	return out
}

// managedFieldsOf takes metadata.managedFields out of a decoded object and
// returns them.
func managedFieldsOf(v any) any {
	m, _ := v.(map[string]any)
	md, _ := m["metadata"].(map[string]any)
	if md == nil {
		return nil
	}
	mf := md["managedFields"]
	delete(md, "managedFields")
	return mf
}

func diffValue(path string, a, b any, out *[]string) {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := map[string]bool{}
		for k := range am {
			keys[k] = true
		}
		for k := range bm {
			keys[k] = true
		}
		for k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			av, ain := am[k]
			bv, bin := bm[k]
			switch {
			case !ain:
				*out = append(*out, p+": "+absent(bv)+" -> "+compact(bv))
			case !bin:
				*out = append(*out, p+": "+compact(av)+" -> "+absent(av))
			default:
				diffValue(p, av, bv, out)
			}
		}
		return
	}
	al, aok := a.([]any)
	bl, bok := b.([]any)
	if aok && bok {
		for i := 0; i < len(al) || i < len(bl); i++ {
			p := fmt.Sprintf("%s[%d]", path, i)
			switch {
			case i >= len(al):
				*out = append(*out, p+": <none> -> "+compact(bl[i]))
			case i >= len(bl):
				*out = append(*out, p+": "+compact(al[i])+" -> <none>")
			default:
				diffValue(p, al[i], bl[i], out)
			}
		}
		return
	}
	if ca, cb := compact(a), compact(b); ca != cb {
		*out = append(*out, path+": "+ca+" -> "+cb)
	}
}

// absent is how a field left out of the JSON reads: Kubernetes omits zero
// values, so a missing string was "" and a missing number 0.
func absent(other any) string {
	switch other.(type) {
	case string:
		return `""`
	case float64:
		return "0"
	case bool:
		return "false"
	}
	return "<none>"
}

func compact(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
