package nodeshell

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"

	"github.com/kubesim/kubesim/components/etcd"
	"github.com/kubesim/kubesim/components/etcd/mvcc"
	"github.com/kubesim/kubesim/scenarios/views"
	"github.com/kubesim/kubesim/sim/cluster"
)

// etcdctl v3.5's flags and subcommands (the etcd image kubeadm v1.32
// deploys is 3.5.16). kubeadm's etcd serves TLS only, so like the real
// etcdctl this one needs --cacert, --cert and --key (files on the node);
// without them it times out.

type etcdFlags struct {
	endpoints            []string
	cacert, cert, key    string
	write                string
	cluster              bool
	prefix, keysOnly     bool
	rev                  string
	dataDir, name, token string
	initialCluster       string
	bumpRevision         string
	markCompacted        bool
	ops                  []string
}

func parseEtcdFlags(args []string) (etcdFlags, error) {
	f := etcdFlags{write: "simple"}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			f.ops = append(f.ops, a)
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		takes := map[string]*string{"cacert": &f.cacert, "cert": &f.cert, "key": &f.key, "write-out": &f.write, "w": &f.write,
			"rev": &f.rev, "data-dir": &f.dataDir, "name": &f.name, "initial-cluster-token": &f.token, "initial-cluster": &f.initialCluster, "bump-revision": &f.bumpRevision}
		var eps string
		takes["endpoints"] = &eps
		bools := map[string]*bool{"cluster": &f.cluster, "prefix": &f.prefix, "keys-only": &f.keysOnly, "mark-compacted": &f.markCompacted}
		for _, ignored := range []string{"insecure-skip-tls-verify", "insecure-transport", "debug", "print-value-only", "hex", "skip-hash-check"} {
			var b bool
			bools[ignored] = &b
		}
		for _, ignored := range []string{"command-timeout", "dial-timeout", "initial-advertise-peer-urls", "wal-dir", "user", "password"} {
			var s string
			takes[ignored] = &s
		}
		if p, ok := takes[name]; ok {
			if !hasVal {
				if i+1 >= len(args) {
					return f, fmt.Errorf("Error: flag needs an argument: --%s", name)
				}
				i++
				val = args[i]
			}
			*p = val
			if name == "endpoints" {
				for _, e := range strings.Split(val, ",") {
					f.endpoints = append(f.endpoints, strings.TrimSpace(e))
				}
			}
			continue
		}
		if p, ok := bools[name]; ok {
			*p = !hasVal || val == "true"
			continue
		}
		return f, fmt.Errorf("Error: unknown flag: --%s", name)
	}
	if len(f.endpoints) == 0 {
		f.endpoints = []string{"127.0.0.1:2379"}
	}
	return f, nil
}

// connect checks what etcdctl needs to reach a member: the TLS files and
// a running member at the endpoint. It returns the member actors behind
// the endpoints (with --cluster: every member of the cluster).
func (sh *shell) connect(f etcdFlags) ([]string, []string, error) {
	d := sh.fs()
	for _, p := range []string{f.cacert, f.cert, f.key} {
		if p != "" && !d.Exists(abs(sh.cwd, p)) {
			return nil, nil, fmt.Errorf("Error: open %s: no such file or directory", p)
		}
	}
	var members, urls []string
	for _, e := range f.endpoints {
		u := e
		if !strings.Contains(u, "://") {
			// etcdctl speaks TLS to a scheme-less endpoint when given
			// TLS files.
			u = "http://" + u
			if f.cacert != "" || f.cert != "" {
				u = "https://" + e
			}
		}
		m := sh.c.EtcdEndpoint(sh.node, u)
		if f.cacert == "" || f.cert == "" || f.key == "" || strings.HasPrefix(u, "http://") || !sh.c.K.Running(m) {
			continue
		}
		members, urls = append(members, m), append(urls, e)
	}
	if len(members) == 0 {
		return nil, nil, fmt.Errorf("{\"level\":\"warn\",\"msg\":\"retrying of unary invoker failed\",\"target\":\"etcd-endpoints://%s\",\"error\":\"rpc error: code = DeadlineExceeded desc = latest balancer error: last connection error: connection error: desc = \\\"transport: authentication handshake failed\\\"\"}\nError: context deadline exceeded", strings.Join(f.endpoints, ","))
	}
	if f.cluster {
		members, urls = nil, nil
		for i, m := range sh.c.EtcdMembers {
			members = append(members, m)
			urls = append(urls, "https://"+sh.c.NodeIP(sh.c.NodeNames()[i])+":2379")
		}
	}
	return members, urls, nil
}

func (sh *shell) etcdctl(args []string) Result {
	f, err := parseEtcdFlags(args)
	if err != nil {
		return fail(1, "%s", err.Error())
	}
	if len(f.ops) == 0 {
		return fail(1, "etcdctl: this shell knows: member list, endpoint status|health [--cluster], get KEY [--prefix] [--keys-only], snapshot save|status|restore")
	}
	if f.ops[0] == "snapshot" && len(f.ops) > 1 && f.ops[1] != "save" {
		res := sh.etcdutl(args)
		res.Stderr = "Deprecated: Use `etcdutl snapshot " + f.ops[1] + "` instead.\n\n" + res.Stderr
		return res
	}
	if f.ops[0] == "version" {
		return ok("etcdctl version: " + etcd.Version + "\nAPI version: 3.5\n")
	}
	members, urls, err := sh.connect(f)
	if err != nil {
		return fail(1, "%s", err.Error())
	}
	c := sh.c
	switch strings.Join(f.ops[:min(2, len(f.ops))], " ") {
	case "member list":
		var rows [][]string
		for i, m := range c.EtcdMembers {
			ip := c.NodeIP(c.NodeNames()[i])
			rows = append(rows, []string{fmt.Sprintf("%x", c.EtcdMemberID(m)), "started", m, "https://" + ip + ":2380", "https://" + ip + ":2379", "false"})
		}
		return ok(etcdOutput(f.write, []string{"ID", "STATUS", "NAME", "PEER ADDRS", "CLIENT ADDRS", "IS LEARNER"}, rows))
	case "endpoint status":
		var rows [][]string
		var errs strings.Builder
		for i, m := range members {
			st, up := c.EtcdStatus(m)
			if !up {
				fmt.Fprintf(&errs, "{\"level\":\"warn\",\"msg\":\"failed to get the status of endpoint\",\"endpoint\":%q,\"error\":\"context deadline exceeded\"}\n", urls[i])
				continue
			}
			rows = append(rows, []string{urls[i], fmt.Sprintf("%x", c.EtcdMemberID(m)), etcd.Version, etcd.HumanBytes(st.DBSize),
				fmt.Sprint(st.Leader != 0 && st.Leader == c.EtcdMemberID(m)), fmt.Sprint(st.IsLearner), fmt.Sprint(st.Header.RaftTerm),
				fmt.Sprint(st.RaftIndex), fmt.Sprint(st.RaftAppliedIndex), strings.Join(st.Errors, ", ")})
		}
		res := ok(etcdOutput(f.write, []string{"ENDPOINT", "ID", "VERSION", "DB SIZE", "IS LEADER", "IS LEARNER", "RAFT TERM", "RAFT INDEX", "RAFT APPLIED INDEX", "ERRORS"}, rows))
		res.Stderr = errs.String()
		return res
	case "endpoint health":
		var rows [][]string
		healthy := true
		took := 2 * latency(sh.node)
		for i, m := range members {
			st, up := c.EtcdStatus(m)
			switch {
			case !up:
				healthy = false
				rows = append(rows, []string{urls[i], "false", took.String(), "failed to commit proposal: context deadline exceeded"})
			case st.Leader == 0:
				healthy = false
				rows = append(rows, []string{urls[i], "false", took.String(), "failed to commit proposal: etcdserver: no leader"})
			default:
				rows = append(rows, []string{urls[i], "true", took.String(), ""})
			}
		}
		var out strings.Builder
		if f.write == "table" {
			out.WriteString(etcd.Table([]string{"ENDPOINT", "HEALTH", "TOOK", "ERROR"}, rows))
		} else {
			for _, r := range rows {
				if r[1] == "true" {
					fmt.Fprintf(&out, "%s is healthy: successfully committed proposal: took = %s\n", r[0], r[2])
				} else {
					fmt.Fprintf(&out, "%s is unhealthy: %s\n", r[0], r[3])
				}
			}
		}
		res := ok(out.String())
		if !healthy {
			res.Stderr, res.Code = "Error: unhealthy cluster\n", 1
		}
		return res
	case "snapshot save":
		if len(f.ops) != 3 {
			return fail(1, "Error: snapshot save expects one argument")
		}
		r := sh.change("etcdctl", cluster.NodeCommand{Op: cluster.OpSnapshotSave, Path: abs(sh.cwd, f.ops[2]), Endpoint: members[0]})
		return r
	}
	if f.ops[0] == "get" {
		if len(f.ops) != 2 {
			return fail(1, "Error: get command needs one argument as key and an optional argument as range_end")
		}
		line := "etcdctl get " + f.ops[1]
		if f.prefix {
			line += " --prefix"
		}
		if f.keysOnly {
			line += " --keys-only"
		}
		if f.rev != "" {
			line += " --rev " + f.rev
		}
		var b bytes.Buffer
		if err := views.Exec(views.Context{Cluster: c}, line, &b); err != nil {
			return fail(1, "%s", err.Error())
		}
		out := b.String()
		if f.keysOnly {
			// etcdctl --keys-only prints an empty line after each key.
			out = strings.ReplaceAll(out, "\n", "\n\n")
		}
		return ok(out)
	}
	return fail(1, "Error: unknown command %q for \"etcdctl\"\nRun 'etcdctl --help' for usage.", strings.Join(f.ops, " "))
}

func (sh *shell) etcdutl(args []string) Result {
	f, err := parseEtcdFlags(args)
	if err != nil {
		return fail(1, "%s", err.Error())
	}
	if len(f.ops) < 3 || f.ops[0] != "snapshot" {
		return fail(1, "etcdutl: this shell knows: etcdutl snapshot status FILE [-w table], etcdutl snapshot restore FILE --data-dir DIR")
	}
	file := abs(sh.cwd, f.ops[2])
	switch f.ops[1] {
	case "status":
		data, err := sh.fs().ReadFile(file)
		if err != nil {
			return fail(1, "Error: stat %s: no such file or directory", f.ops[2])
		}
		st, err := mvcc.Restore(data, mvcc.RestoreOptions{})
		if err != nil {
			return fail(1, "Error: snapshot file integrity check failed: %v", err)
		}
		s := st.Status()
		row := []string{fmt.Sprintf("%x", crc32.ChecksumIEEE(data)), fmt.Sprint(s.Revision), fmt.Sprint(s.Keys), etcd.HumanBytes(int64(len(data)))}
		if f.write == "table" {
			return ok(etcd.Table([]string{"HASH", "REVISION", "TOTAL KEYS", "TOTAL SIZE"}, [][]string{row}))
		}
		return ok(strings.Join(row, ", ") + "\n")
	case "restore":
		if f.dataDir == "" {
			f.dataDir = f.name + ".etcd"
			if f.name == "" {
				f.dataDir = "default.etcd"
			}
		}
		local := ""
		for i, n := range sh.c.NodeNames() {
			if n == sh.node && i < len(sh.c.EtcdMembers) {
				local = sh.c.EtcdMembers[i]
			}
		}
		if f.name == "" {
			f.name = local
		}
		names := append([]string(nil), sh.c.EtcdMembers...)
		if f.initialCluster != "" {
			names = nil
			for _, kv := range strings.Split(f.initialCluster, ",") {
				n, _, _ := strings.Cut(kv, "=")
				names = append(names, n)
			}
		} else if f.name != local || len(names) == 0 {
			names = []string{f.name}
		}
		var bump int64
		if f.bumpRevision != "" {
			n, err := strconv.ParseUint(f.bumpRevision, 10, 63)
			if err != nil {
				return fail(1, "Error: invalid argument %q for \"--bump-revision\" flag: strconv.ParseUint: parsing %q: invalid syntax", f.bumpRevision, f.bumpRevision)
			}
			bump = int64(n)
		}
		if (bump == 0) == f.markCompacted {
			// etcdutl wants both or neither (its message names the flag
			// --revision-bump although the flag is --bump-revision), exit
			// code 128 (ExitBadArgs).
			return fail(128, "Error: --mark-compacted required if --revision-bump > 0")
		}
		r := sh.change("etcdutl", cluster.NodeCommand{Op: cluster.OpRestore, Path: file, To: abs(sh.cwd, f.dataDir),
			Name: f.name, InitialCluster: names, Token: f.token, BumpRevision: bump, MarkCompacted: f.markCompacted})
		if r.Code == 0 {
			r.Stdout = fmt.Sprintf("%s\tinfo\tsnapshot/v3_snapshot.go:265\trestoring snapshot\t{\"path\": %q, \"wal-dir\": \"%s/member/wal\", \"data-dir\": %q, \"snap-dir\": \"%s/member/snap\"}\n%s\tinfo\tsnapshot/v3_snapshot.go:293\trestored snapshot\t{\"path\": %q, \"wal-dir\": \"%s/member/wal\", \"data-dir\": %q, \"snap-dir\": \"%s/member/snap\"}\n",
				sh.c.K.WallTime().Format("2006-01-02T15:04:05Z07:00"), f.ops[2], f.dataDir, f.dataDir, f.dataDir,
				sh.c.K.WallTime().Format("2006-01-02T15:04:05Z07:00"), f.ops[2], f.dataDir, f.dataDir, f.dataDir)
		}
		return r
	}
	return fail(1, "Error: unknown command %q for \"etcdutl snapshot\"", f.ops[1])
}

// etcdOutput prints rows as etcdctl's -w simple (comma-separated) or
// table.
func etcdOutput(write string, header []string, rows [][]string) string {
	if write == "table" {
		return etcd.Table(header, rows)
	}
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(strings.Join(r, ", ") + "\n")
	}
	return b.String()
}
