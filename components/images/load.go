package images

import (
	"strings"
	"time"
)

// # What a process costs (the CPU and memory model)
//
// kubesim runs no process, so a container's resource use is computed from
// what the simulation makes it do, as a simplification of what cAdvisor
// would measure:
//
//   - CPU: an idle baseline per program (Cost.IdleMilli), plus the CPU
//     time of every HTTP request the process answers (Cost.RequestCPU)
//     in the second it answers it; the kubelet caps each second at the
//     container's CPU limit (the CFS quota), or the node's CPUs.
//   - Memory: a working set per program (Cost.MemoryBytes), whatever the
//     load.
//
// The numbers are round figures, not measurements. The one that matters
// is hpa-example's: its index.php computes a million square roots, taken
// here as 70 ms of CPU per request, so that one load generator (10
// requests a second, see RequestLoop) asks for 700m — 250% of a 200m
// request once a 500m limit caps it, as in the HorizontalPodAutoscaler
// walkthrough, and about 7 replicas at a 50% target.

// Cost is what a process costs its node.
type Cost struct {
	// IdleMilli is its CPU use with no load, in millicores.
	IdleMilli int64
	// RequestCPU is the CPU time one HTTP request it answers takes.
	RequestCPU time.Duration
	// MemoryBytes is its working set.
	MemoryBytes int64
}

const mi = 1 << 20

// Cost is the resource model of the process (see the package notes).
func (p Process) Cost() Cost {
	switch {
	case p.Loop != nil:
		// A shell loop that forks wget ten times a second.
		return Cost{IdleMilli: 3, MemoryBytes: 1 * mi}
	case p.server == phpApache:
		return Cost{IdleMilli: 1, RequestCPU: 70 * time.Millisecond, MemoryBytes: 11 * mi}
	case p.server == nginxServer || p.server == httpdServer || p.server == busyboxHTTPD:
		return Cost{IdleMilli: 0, RequestCPU: 200 * time.Microsecond, MemoryBytes: 3 * mi}
	case p.server == corednsServer:
		return Cost{IdleMilli: 2, RequestCPU: 100 * time.Microsecond, MemoryBytes: 15 * mi}
	case p.server != nil:
		return Cost{IdleMilli: 1, RequestCPU: time.Millisecond, MemoryBytes: 8 * mi}
	case p.Program == "pause":
		return Cost{MemoryBytes: mi / 2}
	}
	return Cost{IdleMilli: 0, MemoryBytes: mi}
}

// LoopInterval is how often a load-generator loop sends a request: each
// wget of the loop is taken to take 100 ms, so a loop sends 10 requests
// a second whatever the server's load (an open loop: kubesim does not
// slow a client down when its server is saturated).
const LoopInterval = 100 * time.Millisecond

// RequestLoop is a shell loop that sends an HTTP request on every
// iteration, as the walkthrough's load generator
// "while sleep 0.01; do wget -q -O- http://php-apache; done" does.
type RequestLoop struct {
	// Client is "wget" or "curl".
	Client string
	// URL is the target ("http://php-apache").
	URL string
	// Interval is the time between two requests.
	Interval time.Duration
}

// loopURL is the URL argument of a wget or curl command line: its last
// word that is not an option.
func loopURL(args []string) string {
	url := ""
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			url = a
		}
	}
	return url
}

// phpApache is hpa-example's Apache with mod_php serving index.php.
var phpApache = &serverDef{
	http: true,
	serve: func(p Process, env Env, req Request) Response {
		h := []Header{{"Date", env.Time.UTC().Format(httpDate)}, {"Server", "Apache/" + p.Image.Version + " (Debian)"},
			{"X-Powered-By", "PHP/5.6.40"}}
		path, _, _ := strings.Cut(req.Path, "?")
		if path != "/" && path != "/index.php" {
			body := httpdNotFound
			return Response{Status: 404, Body: body, Headers: append(h, Header{"Content-Type", "text/html; charset=iso-8859-1"})}
		}
		body := "OK!"
		if req.Method == "HEAD" {
			body = ""
		}
		return Response{Status: 200, Body: body, Headers: append(h, Header{"Content-Length", "3"}, Header{"Content-Type", "text/html"})}
	},
}
