package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestServeWritesKubeconfigAndStopsAtEOF(t *testing.T) {
	for _, lang := range []string{"en", "ko"} {
		t.Run(lang, func(t *testing.T) {
			kc := filepath.Join(t.TempDir(), "kubesim.kubeconfig")
			var out, errb bytes.Buffer
			code := cmdServe([]string{"--paused", "--lang", lang, "--kubeconfig", kc}, strings.NewReader("time\n"), &out, &errb)
			require.Equal(t, 0, code, errb.String())
			b, err := os.ReadFile(kc)
			require.NoError(t, err)
			assert.Contains(t, string(b), "server: https://127.0.0.1:")
			assert.Contains(t, out.String(), "export KUBECONFIG="+kc)
			if lang == "ko" {
				assert.Contains(t, out.String(), "가상 시간은 멈춰 있습니다")
			} else {
				assert.Contains(t, out.String(), "Virtual time is paused")
				assert.Contains(t, out.String(), ", paused\n")
			}
		})
	}
}

func TestServeFlags(t *testing.T) {
	for _, args := range [][]string{{"--speed", "0"}, {"--show", "some"}, {"--lang", "fr"}, {"extra"}} {
		var out, errb bytes.Buffer
		assert.Equal(t, 2, cmdServe(args, strings.NewReader(""), &out, &errb), "%v", args)
		assert.NotEmpty(t, errb.String())
	}
}

func TestServeRefusesNonLoopbackUnlessAcknowledged(t *testing.T) {
	var out, errb bytes.Buffer
	assert.Equal(t, 2, cmdServe([]string{"--listen", "0.0.0.0:0", "--kubeconfig", filepath.Join(t.TempDir(), "kc")}, strings.NewReader(""), &out, &errb))
	assert.Contains(t, errb.String(), "0.0.0.0:0 is not a loopback address")
	assert.Contains(t, errb.String(), "--allow-non-loopback")

	errb.Reset()
	code := cmdServe([]string{"--paused", "--listen", "0.0.0.0:0", "--allow-non-loopback", "--kubeconfig", filepath.Join(t.TempDir(), "kc")}, strings.NewReader("quit\n"), &out, &errb)
	assert.Equal(t, 0, code, errb.String())
	assert.Contains(t, errb.String(), "kubesim: warning: 0.0.0.0:0 is not a loopback address: other machines can reach it.")
}

func TestServeClassroom(t *testing.T) {
	for _, lang := range []string{"en", "ko"} {
		t.Run(lang, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "class")
			var out, errb bytes.Buffer
			code := cmdServe([]string{"--paused", "--lang", lang, "--users", "alice, bob", "--kubeconfig-dir", dir, "--listen", "0.0.0.0:0", "--advertise-address", "class.example"},
				strings.NewReader("quit\n"), &out, &errb)
			require.Equal(t, 0, code, errb.String())
			assert.Empty(t, errb.String(), "certificates authenticate: no warning, no --allow-non-loopback")
			for _, u := range []string{"instructor", "alice", "bob"} {
				b, err := os.ReadFile(filepath.Join(dir, u+".kubeconfig"))
				require.NoError(t, err, u)
				assert.Contains(t, string(b), "client-certificate-data: ", u)
				assert.Contains(t, string(b), "server: https://class.example:", u)
				assert.Contains(t, out.String(), filepath.Join(dir, u+".kubeconfig"), u)
			}
			_, err := os.Stat(filepath.Join(dir, "audit.log"))
			assert.NoError(t, err, "the audit log sits beside the kubeconfigs")
			assert.Contains(t, out.String(), filepath.Join(dir, "audit.log"))
			if lang == "ko" {
				assert.Contains(t, out.String(), "교실 모드")
				assert.Contains(t, out.String(), "네임스페이스 alice 에서 edit 역할")
			} else {
				assert.Contains(t, out.String(), "as a classroom")
				assert.Contains(t, out.String(), "(role edit in namespace alice)")
				assert.Contains(t, out.String(), "0.0.0.0:0 is reachable from other machines")
			}
			_, err = os.Stat("kubesim.kubeconfig")
			assert.True(t, os.IsNotExist(err), "no admin token kubeconfig in a classroom")
		})
	}
}

func TestServeClassroomFlags(t *testing.T) {
	for _, tt := range []struct {
		args    []string
		wantErr string
	}{
		{[]string{"--users", "alice,,bob"}, `kubesim: --users "alice,,bob": name 2 is empty: expected names separated by commas, such as alice,bob`},
		{[]string{"--users", "Alice"}, `kubesim: serve: user "Alice": a trainee's name is its namespace's name`},
		{[]string{"--users", "alice", "--instructor", "alice"}, `kubesim: serve: "alice" is both a trainee and the instructor`},
	} {
		var out, errb bytes.Buffer
		args := append(tt.args, "--kubeconfig-dir", filepath.Join(t.TempDir(), "class"))
		assert.Equal(t, 2, cmdServe(args, strings.NewReader(""), &out, &errb), "%v", tt.args)
		assert.Contains(t, errb.String(), tt.wantErr)
	}
}
