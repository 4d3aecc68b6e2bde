package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/kubesim/kubesim/scenarios/nodeshell"
	"github.com/kubesim/kubesim/sim/cluster"
)

// The node shell, served: `ssh NODE` at the prompt, and for `kubesim ssh
// NODE` in another terminal, under /kubesim/v1/nodes/NODE/ (loopback
// clients only):
//
//	POST /kubesim/v1/nodes/NODE/shell   {"command": "crictl ps"} -> ShellResult
//	GET  /kubesim/v1/nodes/NODE/files?path=/etc/...               -> the file's bytes
//	PUT  /kubesim/v1/nodes/NODE/files?path=/etc/...               <- the new bytes
//
// Every command runs on the served cluster between steps, as a kubectl
// request does; a command that changes the node is an input of the run
// (package nodeshell).

// ShellRequest is a command line for a node's shell.
type ShellRequest struct {
	Command string `json:"command"`
}

// ShellResult is what the command printed and its exit status.
type ShellResult struct {
	Stdout string `json:"stdout"`
	Stderr string `json:"stderr"`
	Code   int    `json:"code"`
}

// NodesPath is the prefix of the node shell's HTTP endpoints.
const NodesPath = "/kubesim/v1/nodes/"

// Shell runs one command line on a node of the served cluster.
func (s *Server) Shell(ctx context.Context, node, line string) (nodeshell.Result, error) {
	var r nodeshell.Result
	err := s.Do(ctx, func(c *cluster.Cluster) { r = nodeshell.Run(c, node, line) })
	return r, err
}

func (s *Server) nodesHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		node, what, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, NodesPath), "/")
		if node == "" {
			http.Error(w, "usage: "+NodesPath+"NODE/shell or "+NodesPath+"NODE/files?path=FILE", http.StatusNotFound)
			return
		}
		var known bool
		if err := s.Do(r.Context(), func(c *cluster.Cluster) { known = c.NodeFS(node) != nil }); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		if !known {
			http.Error(w, fmt.Sprintf("ssh: Could not resolve hostname %s: Name or service not known", node), http.StatusNotFound)
			return
		}
		switch {
		case what == "shell" && r.Method == http.MethodPost:
			var req ShellRequest
			if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
				http.Error(w, "the body must be JSON: {\"command\": \"...\"}: "+err.Error(), http.StatusBadRequest)
				return
			}
			res, err := s.Shell(r.Context(), node, req.Command)
			if err != nil {
				http.Error(w, err.Error(), http.StatusServiceUnavailable)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(ShellResult{Stdout: res.Stdout, Stderr: res.Stderr, Code: res.Code})
		case what == "files" && (r.Method == http.MethodGet || r.Method == http.MethodPut):
			p := r.URL.Query().Get("path")
			if p == "" {
				http.Error(w, "path= is required", http.StatusBadRequest)
				return
			}
			var data []byte
			var ferr error
			if r.Method == http.MethodPut {
				body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
				if err != nil {
					http.Error(w, err.Error(), http.StatusBadRequest)
					return
				}
				if err := s.Do(r.Context(), func(c *cluster.Cluster) { ferr = nodeshell.WriteFile(c, node, p, body) }); err != nil {
					http.Error(w, err.Error(), http.StatusServiceUnavailable)
					return
				}
				if ferr != nil {
					http.Error(w, ferr.Error(), http.StatusConflict)
					return
				}
				w.WriteHeader(http.StatusNoContent)
				return
			}
			if err := s.Do(r.Context(), func(c *cluster.Cluster) { data, ferr = nodeshell.ReadFile(c, node, p) }); err != nil {
				http.Error(w, err.Error(), http.StatusServiceUnavailable)
				return
			}
			if ferr != nil {
				http.Error(w, ferr.Error(), http.StatusNotFound)
				return
			}
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write(data)
		default:
			http.Error(w, "usage: POST "+NodesPath+"NODE/shell, GET or PUT "+NodesPath+"NODE/files?path=FILE", http.StatusMethodNotAllowed)
		}
	})
}

// shellLine handles a line typed at the prompt while it is on a node
// (after `ssh NODE`); it reports whether the prompt left the node.
func (s *Server) shellLine(ctx context.Context, line string, out io.Writer) (left bool) {
	f := strings.Fields(line)
	switch {
	case len(f) == 0:
	case f[0] == "exit" || f[0] == "logout":
		fmt.Fprintf(out, "logout\nConnection to %s closed.\n", s.sshNode)
		s.sshNode = ""
		return true
	case f[0] == "edit":
		fmt.Fprintln(out, "edit opens your editor: run `kubesim ssh "+s.sshNode+"` in another terminal and edit there (this prompt shares its terminal with the server)")
	default:
		res, err := s.Shell(ctx, s.sshNode, line)
		if err != nil {
			fmt.Fprintln(out, err)
			break
		}
		fmt.Fprint(out, res.Stdout, res.Stderr)
	}
	fmt.Fprint(out, ShellPrompt(s.sshNode))
	return false
}

// ShellPrompt is a node shell's prompt.
func ShellPrompt(node string) string { return "root@" + node + ":~# " }
