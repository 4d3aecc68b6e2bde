package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// kubesim ssh from another terminal: commands run on the served node, and
// edit goes through $EDITOR on a copy that is written back.
func TestSSHToAServedNode(t *testing.T) {
	dir := t.TempDir()
	kc := filepath.Join(dir, "kubeconfig")
	stdinR, stdinW := io.Pipe()
	var out syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"serve", "--kubeconfig", kc, "--paused", "--show", "none"}, stdinR, &out, &out)
	}()
	defer func() {
		stdinW.Write([]byte("quit\n"))
		stdinW.Close()
		<-done
	}()
	require.Eventually(t, func() bool { _, err := os.Stat(kc); return err == nil }, 60*time.Second, 50*time.Millisecond, out.String())

	o, e, code := kubesim(t, "", "ssh", "cp-1", "--kubeconfig", kc, "--", "grep", "leader-elect", "/etc/kubernetes/manifests/kube-scheduler.yaml")
	require.Equal(t, 0, code, e)
	assert.Equal(t, "    - --leader-elect=true\n", o)
	_, e, code = kubesim(t, "", "ssh", "worker-9", "--kubeconfig", kc, "--", "ls")
	assert.Equal(t, 255, code)
	assert.Contains(t, e, "ssh: Could not resolve hostname worker-9")

	// The editor is a command that rewrites the copy it is given.
	editor := filepath.Join(dir, "editor.sh")
	require.NoError(t, os.WriteFile(editor, []byte("#!/bin/sh\nsed -i 's/--leader-elect=true/--leader-elect=false/' \"$1\"\n"), 0o755))
	t.Setenv("VISUAL", "")
	t.Setenv("EDITOR", editor)
	o, e, code = kubesim(t, strings.Join([]string{"edit /etc/kubernetes/manifests/kube-scheduler.yaml", "grep leader-elect /etc/kubernetes/manifests/kube-scheduler.yaml", "nope", "exit"}, "\n")+"\n",
		"ssh", "cp-1", "--kubeconfig", kc)
	require.Equal(t, 0, code, e)
	assert.Contains(t, o, "root@cp-1:~# ")
	assert.Contains(t, o, "    - --leader-elect=false\n", "the edit was written back to the node")
	assert.Contains(t, e, "bash: nope: command not found")
	assert.Contains(t, o, "Connection to cp-1 closed.")
}

// journalctl -f asks again and prints only what is new.
func TestSSHFollowPrintsNewLinesOnly(t *testing.T) {
	dir := t.TempDir()
	kc := filepath.Join(dir, "kubeconfig")
	stdinR, stdinW := io.Pipe()
	var out syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"serve", "--kubeconfig", kc, "--paused", "--show", "none"}, stdinR, &out, &out)
	}()
	defer func() {
		stdinW.Write([]byte("quit\n"))
		stdinW.Close()
		<-done
	}()
	require.Eventually(t, func() bool { _, err := os.Stat(kc); return err == nil }, 60*time.Second, 50*time.Millisecond, out.String())
	sc, err := kubeconfigServer(kc)
	require.NoError(t, err)
	var o, e syncBuffer
	sh := &remoteShell{server: sc.Server, node: "worker-1", client: sc.Client(), stdout: &o, stderr: &e}
	stop := make(chan struct{})
	followed := make(chan error, 1)
	go func() { followed <- sh.follow("journalctl -u kubelet -f", stop) }()
	require.Eventually(t, func() bool { return strings.Contains(o.String(), "Successfully registered node") }, 10*time.Second, 20*time.Millisecond)
	first := o.String()
	// The kubelet restarts: new lines come, the old ones are not repeated.
	_, _, code := kubesim(t, "", "ssh", "worker-1", "--kubeconfig", kc, "--", "systemctl", "restart", "kubelet")
	require.Equal(t, 0, code)
	stdinW.Write([]byte("advance 5s\n"))
	require.Eventually(t, func() bool { return strings.Count(o.String(), "Successfully registered node") == 2 }, 10*time.Second, 50*time.Millisecond, o.String())
	close(stop)
	require.NoError(t, <-followed)
	assert.Equal(t, 1, strings.Count(first, "Successfully registered node"))
}

// In a classroom the instructor's kubeconfig (a client certificate) opens
// the node shell; a trainee's does not.
func TestSSHInAClassroom(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "class")
	stdinR, stdinW := io.Pipe()
	var out syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"serve", "--users", "alice", "--kubeconfig-dir", dir, "--paused", "--show", "none"}, stdinR, &out, &out)
	}()
	defer func() {
		stdinW.Write([]byte("quit\n"))
		stdinW.Close()
		<-done
	}()
	inst, alice := filepath.Join(dir, "instructor.kubeconfig"), filepath.Join(dir, "alice.kubeconfig")
	require.Eventually(t, func() bool { _, err := os.Stat(alice); return err == nil }, 60*time.Second, 50*time.Millisecond, out.String())

	o, e, code := kubesim(t, "", "ssh", "cp-1", "--kubeconfig", inst, "--", "grep", "leader-elect", "/etc/kubernetes/manifests/kube-scheduler.yaml")
	require.Equal(t, 0, code, e)
	assert.Equal(t, "    - --leader-elect=true\n", o)
	_, e, code = kubesim(t, "", "ssh", "cp-1", "--kubeconfig", alice, "--", "ls")
	assert.NotEqual(t, 0, code)
	assert.Contains(t, e, "needs the credentials of the instructor's kubeconfig")
}
