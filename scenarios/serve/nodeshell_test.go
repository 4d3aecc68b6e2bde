package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNodeShellAtThePromptAndOverHTTP(t *testing.T) {
	boot := func(adjust func(*cluster.Config)) (*cluster.Cluster, error) {
		cfg := cluster.Config{Seed: 1}
		adjust(&cfg)
		return cluster.New(cfg)
	}
	c, err := boot(func(*cluster.Config) {})
	require.NoError(t, err)
	srv, err := New(Config{Cluster: c, Boot: boot, Paused: true})
	require.NoError(t, err)
	require.NoError(t, srv.Listen())
	register(srv)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	defer func() { cancel(); require.NoError(t, <-done) }()

	var out bytes.Buffer
	require.NoError(t, srv.Prompt(ctx, strings.NewReader(strings.Join([]string{
		"ssh worker-9",
		"ssh cp-1", "hostname", "crictl ps | grep -c Running", "frobnicate", "mv /etc/kubernetes/manifests/kube-scheduler.yaml /root/", "exit",
		"time",
		"back 2", "ssh cp-1", "live",
	}, "\n")+"\n"), &out, "en"))
	got := out.String()
	assert.Contains(t, got, "usage: ssh <node> (nodes: cp-1, worker-1, worker-2)")
	assert.Contains(t, got, "root@cp-1:~# cp-1\n")
	assert.Contains(t, got, "bash: frobnicate: command not found")
	assert.Contains(t, got, "Connection to cp-1 closed.")
	assert.Contains(t, got, "virtual time", "after exit the prompt is serve's again")
	assert.Contains(t, got, "(in the past at #", "time travel replays the run with the shell's change in it")
	assert.NotContains(t, got, "not the recorded run")
	assert.Contains(t, got, "the node shell works on the served cluster: type live first")

	post := func(node, command string) (int, ShellResult) {
		body, _ := json.Marshal(ShellRequest{Command: command})
		res, err := httpClient.Post(srv.URL()+NodesPath+node+"/shell", "application/json", bytes.NewReader(body))
		require.NoError(t, err)
		defer res.Body.Close()
		var r ShellResult
		if res.StatusCode == http.StatusOK {
			require.NoError(t, json.NewDecoder(res.Body).Decode(&r))
		}
		return res.StatusCode, r
	}
	code, r := post("cp-1", "ls /root")
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "kube-scheduler.yaml\n", r.Stdout, "the prompt's mv changed the served node")
	code, _ = post("worker-9", "ls")
	assert.Equal(t, http.StatusNotFound, code)

	req, _ := http.NewRequest(http.MethodPut, srv.URL()+NodesPath+"worker-1/files?path=/root/notes", strings.NewReader("fixed it\n"))
	res, err := httpClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusNoContent, res.StatusCode)
	// Root on a node needs the served kubeconfig's credentials.
	for _, h := range []map[string]string{{anonymous: "1"}, {"Authorization": "Bearer sa-token:default:default"}, {"Impersonate-User": "jane"}} {
		code, body := send(t, "GET", srv.URL()+NodesPath+"worker-1/files?path=/root/notes", h, "")
		assert.Equal(t, http.StatusForbidden, code, "%v: %s", h, body)
	}
	res, err = httpClient.Get(srv.URL() + NodesPath + "worker-1/files?path=/root/notes")
	require.NoError(t, err)
	var b bytes.Buffer
	b.ReadFrom(res.Body)
	res.Body.Close()
	assert.Equal(t, "fixed it\n", b.String())
}
