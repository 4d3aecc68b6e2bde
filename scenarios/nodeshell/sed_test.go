package nodeshell

import (
	"testing"

	"github.com/kubesim/kubesim/components/etcd"

	"github.com/stretchr/testify/assert"
)

func TestSedSubstitutes(t *testing.T) {
	for _, tt := range []struct {
		name, script, in, want string
		quiet, ere             bool
	}{
		{"first match on each line", "s/a/b/", "aa\nxa\n", "ba\nxb\n", false, false},
		{"global", "s/a/b/g", "aa\nxa\n", "bb\nxb\n", false, false},
		{"other delimiter, & and a group", `s|--\(etcd-servers\)=.*|--\1=https://127.0.0.1:2379 # was &|`, "- --etcd-servers=https://10.0.0.9:2379\n", "- --etcd-servers=https://127.0.0.1:2379 # was --etcd-servers=https://10.0.0.9:2379\n", false, false},
		{"extended", "s/(kube)-(scheduler)/\\2-\\1/", "kube-scheduler\n", "scheduler-kube\n", false, true},
		{"quiet with p", "s/x/y/p", "a\nx\n", "y\n", true, false},
		{"case-insensitive", "s/KUBE/k/I", "kube\n", "k\n", false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sub, err := parseSubstitution(tt.script, tt.ere)
			if err != nil {
				t.Fatalf("parse: %s", err.msg)
			}
			assert.Equal(t, tt.want, runSed([]substitution{sub}, tt.in, tt.quiet))
		})
	}
	for _, bad := range []struct{ script, msg string }{
		{"d", "unknown command: `d'"},
		{"s/a/b", "unterminated `s' command"},
		{"s/a/b/z", "unknown option to `s'"},
	} {
		_, err := parseSubstitution(bad.script, false)
		if assert.NotNil(t, err, bad.script) {
			assert.Equal(t, bad.msg, err.msg)
		}
	}
}

func TestTableAlignsLikeEtcdctl(t *testing.T) {
	got := etcd.Table([]string{"ENDPOINT", "RAFT TERM", "DB SIZE"}, [][]string{{"https://127.0.0.1:2379", "2", "20 kB"}, {"x", "10", "1.5%"}})
	want := "" +
		"+------------------------+-----------+---------+\n" +
		"|        ENDPOINT        | RAFT TERM | DB SIZE |\n" +
		"+------------------------+-----------+---------+\n" +
		"| https://127.0.0.1:2379 |         2 |   20 kB |\n" +
		"|                      x |        10 |    1.5% |\n" +
		"+------------------------+-----------+---------+\n"
	assert.Equal(t, want, got)
}
