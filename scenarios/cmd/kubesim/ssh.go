package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kubesim/kubesim/scenarios/serve"
)

// `kubesim ssh NODE`: a shell on a node of the cluster that `kubesim
// serve` (or `kubesim incident start`) runs, from another terminal. Each
// line is sent to the server, which runs it on the node between steps;
// `edit FILE` fetches the file, opens $VISUAL or $EDITOR (default vi) on a
// temporary copy and writes it back if it changed. This runs outside the
// simulation: the wall clock and the user's terminal are fine here.

const sshSynopsis = "ssh NODE [--kubeconfig FILE] [-- COMMAND...]"

func cmdSSH(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var kubeconfig string
	fs := newFlags("ssh", sshSynopsis, stderr, nil)
	fs.StringVar(&kubeconfig, "kubeconfig", "kubesim.kubeconfig", "the kubeconfig kubesim serve wrote (it names the server)")
	var command []string
	for i, a := range args {
		if a == "--" {
			command, args = args[i+1:], args[:i]
			break
		}
	}
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	node := strings.TrimPrefix(fs.Arg(0), "root@")
	sc, err := kubeconfigServer(kubeconfig)
	if err != nil {
		fmt.Fprintln(stderr, "kubesim:", err)
		return 2
	}
	client := sc.Client()
	client.Timeout = 2 * time.Minute
	sh := &remoteShell{server: sc.Server, node: node, client: client, stdin: stdin, stdout: stdout, stderr: stderr}
	if len(command) > 0 {
		code, err := sh.run(strings.Join(command, " "))
		if err != nil {
			fmt.Fprintln(stderr, "kubesim:", err)
			return 255
		}
		return code
	}
	// Check the node before the first prompt, as ssh connects first.
	if _, err := sh.run("true"); err != nil {
		fmt.Fprintln(stderr, "kubesim:", err)
		return 255
	}
	in := bufio.NewReader(stdin)
	for {
		fmt.Fprint(stdout, serve.ShellPrompt(node))
		line, err := in.ReadString('\n')
		if line == "" && err != nil {
			fmt.Fprintln(stdout, "logout")
			return 0
		}
		f := strings.Fields(line)
		switch {
		case len(f) == 0:
		case f[0] == "exit" || f[0] == "logout":
			fmt.Fprintf(stdout, "logout\nConnection to %s closed.\n", node)
			return 0
		case f[0] == "edit":
			if len(f) != 2 {
				fmt.Fprintln(stderr, "usage: edit FILE")
				continue
			}
			if err := sh.edit(f[1]); err != nil {
				fmt.Fprintln(stderr, "edit:", err)
			}
		case isFollow(f):
			if err := sh.follow(strings.TrimSpace(line), nil); err != nil {
				fmt.Fprintln(stderr, "kubesim:", err)
			}
		default:
			if _, err := sh.run(strings.TrimSpace(line)); err != nil {
				fmt.Fprintln(stderr, "kubesim:", err)
			}
		}
	}
}

type remoteShell struct {
	server, node   string
	client         *http.Client
	stdin          io.Reader
	stdout, stderr io.Writer
}

func (r *remoteShell) url(what string) string {
	return r.server + serve.NodesPath + url.PathEscape(r.node) + "/" + what
}

func answerError(res *http.Response) error {
	b, _ := io.ReadAll(res.Body)
	return fmt.Errorf("%s", strings.TrimSpace(string(b)))
}

// isFollow reports whether a command line is `journalctl ... -f` (not in
// a pipeline).
func isFollow(f []string) bool {
	if len(f) == 0 || f[0] != "journalctl" || slices.Contains(f, "|") {
		return false
	}
	return slices.Contains(f, "-f") || slices.Contains(f, "--follow")
}

// follow is journalctl -f: it asks again every second and prints the new
// lines, until Ctrl-C (or stop, in tests).
func (r *remoteShell) follow(line string, stop <-chan struct{}) error {
	var sig chan os.Signal
	if stop == nil {
		sig = make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt)
		defer signal.Stop(sig)
	}
	var last []string
	for {
		res, err := r.call(line)
		if err != nil {
			return err
		}
		lines := strings.Split(strings.TrimSuffix(res.Stdout, "\n"), "\n")
		from := 0
		if len(last) > 0 {
			// Print what came after the last line shown.
			from = len(lines)
			for i := len(lines) - 1; i >= 0; i-- {
				if lines[i] == last[len(last)-1] {
					from = i + 1
					break
				}
			}
			if len(lines) == 1 && lines[0] == "-- No entries --" {
				from = 1
			}
		}
		for _, l := range lines[from:] {
			fmt.Fprintln(r.stdout, l)
		}
		if len(lines) > 0 && !(len(lines) == 1 && lines[0] == "-- No entries --") {
			last = lines
		}
		fmt.Fprint(r.stderr, res.Stderr)
		select {
		case <-stop:
			return nil
		case <-sig:
			fmt.Fprintln(r.stdout)
			return nil
		case <-time.After(time.Second):
		}
	}
}

// run sends one command line and prints what it printed.
func (r *remoteShell) run(line string) (int, error) {
	out, err := r.call(line)
	if err != nil {
		return 0, err
	}
	fmt.Fprint(r.stdout, out.Stdout)
	fmt.Fprint(r.stderr, out.Stderr)
	return out.Code, nil
}

// call sends one command line and returns what it printed.
func (r *remoteShell) call(line string) (serve.ShellResult, error) {
	body, _ := json.Marshal(serve.ShellRequest{Command: line})
	var out serve.ShellResult
	res, err := r.client.Post(r.url("shell"), "application/json", bytes.NewReader(body))
	if err != nil {
		return out, fmt.Errorf("no kubesim serve answers at %s (is it running?): %w", r.server, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return out, answerError(res)
	}
	err = json.NewDecoder(res.Body).Decode(&out)
	return out, err
}

// edit opens the user's editor on a copy of a node's file and writes it
// back if it changed.
func (r *remoteShell) edit(p string) error {
	q := "?path=" + url.QueryEscape(p)
	res, err := r.client.Get(r.url("files") + q)
	if err != nil {
		return err
	}
	var data []byte
	switch res.StatusCode {
	case http.StatusOK:
		data, err = io.ReadAll(res.Body)
	case http.StatusNotFound:
		// A new file, as vi opens one.
	default:
		err = answerError(res)
	}
	res.Body.Close()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "kubesim-edit-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, filepath.Base(p))
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	editor := os.Getenv("VISUAL")
	if editor == "" {
		editor = os.Getenv("EDITOR")
	}
	if editor == "" {
		editor = "vi"
	}
	argv := append(strings.Fields(editor), tmp)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = r.stdin, r.stdout, r.stderr
	if f, ok := r.stdin.(*os.File); ok {
		cmd.Stdin = f
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w (the file was not changed)", editor, err)
	}
	edited, err := os.ReadFile(tmp)
	if err != nil {
		return err
	}
	if bytes.Equal(edited, data) {
		return nil
	}
	req, _ := http.NewRequest(http.MethodPut, r.url("files")+q, bytes.NewReader(edited))
	res, err = r.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		return answerError(res)
	}
	return nil
}
