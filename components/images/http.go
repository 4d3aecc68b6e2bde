package images

import (
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Env is what a process knows about where it runs.
type Env struct {
	// Hostname is the pod's hostname (its name, or spec.hostname).
	Hostname string
	// PodIP is the pod's address (the node's with hostNetwork).
	PodIP string
	// Time is the virtual wall-clock time of the event.
	Time time.Time
}

// Request is one HTTP request that reached the process.
type Request struct {
	Method, Path string
	// Host is the Host header (curl sends the URL's host[:port]).
	Host      string
	UserAgent string
	// ClientIP and ClientPort are the connection's source (after any
	// SNAT); Port the port it reached.
	ClientIP   string
	ClientPort uint16
	Port       int32
	// TLS says the client speaks HTTPS (the kubelet's probes with scheme
	// HTTPS, which skip certificate checks).
	TLS bool
}

// Header is one response header.
type Header struct{ Name, Value string }

// Response is what the process answers.
type Response struct {
	// Status is the HTTP status; 0 when the server does not speak HTTP
	// on the port (then CurlExit and CurlError say what curl prints).
	Status  int
	Headers []Header
	Body    string
	// CurlExit and CurlError are curl's exit code and message for an
	// answer that is not HTTP ("(52) Empty reply from server").
	CurlExit  int
	CurlError string
}

// StatusLine is "HTTP/1.1 200 OK".
func (r Response) StatusLine() string {
	if r.Status == 0 {
		return ""
	}
	return fmt.Sprintf("HTTP/1.1 %d %s", r.Status, statusText(r.Status))
}

// Head is the status line and headers as "curl -i" prints them, CRLF
// separated, with the blank line.
func (r Response) Head() string {
	var b strings.Builder
	b.WriteString(r.StatusLine() + "\r\n")
	for _, h := range r.Headers {
		b.WriteString(h.Name + ": " + h.Value + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

// OK reports a 2xx or 3xx status, what the kubelet's httpGet probe
// counts as success.
func (r Response) OK() bool { return r.Status >= 200 && r.Status < 400 }

func statusText(code int) string {
	switch code {
	case 200:
		return "OK"
	case 204:
		return "No Content"
	case 301:
		return "Moved Permanently"
	case 400:
		return "Bad Request"
	case 404:
		return "Not Found"
	case 405:
		return "Not Allowed"
	case 500:
		return "Internal Server Error"
	case 503:
		return "Service Unavailable"
	}
	return strconv.Itoa(code)
}

// Serve is the process' answer to an HTTP request on one of its ports.
func (p Process) Serve(env Env, req Request) Response {
	if req.Method == "" {
		req.Method = "GET"
	}
	if req.Path == "" {
		req.Path = "/"
	}
	if p.server == nil {
		return Response{CurlExit: 7, CurlError: "Couldn't connect to server"}
	}
	return p.server.serve(p, env, req)
}

// AccessLog is what the process prints for a request it answered, ""
// when it logs nothing.
func (p Process) AccessLog(env Env, req Request, resp Response) []string {
	if p.server == nil || p.server.access == nil {
		return nil
	}
	if req.Method == "" {
		req.Method = "GET"
	}
	if req.Path == "" {
		req.Path = "/"
	}
	return p.server.access(p, env, req, resp)
}

// Serves says whether the process answers HTTP (a web server, not a
// database or a DNS server).
func (p Process) Serves() bool { return p.server != nil && p.server.http }

// server is a modelled server program.
type server = *serverDef

type serverDef struct {
	http   bool
	banner func(p Process, env Env) []Line
	serve  func(p Process, env Env, req Request) Response
	access func(p Process, env Env, req Request, resp Response) []string
}

const httpDate = "Mon, 02 Jan 2006 15:04:05 GMT"

func goHeaders(env Env, body, contentType string, extra ...Header) []Header {
	h := append([]Header(nil), extra...)
	h = append(h, Header{"Date", env.Time.UTC().Format(httpDate)},
		Header{"Content-Length", strconv.Itoa(len(body))})
	if body != "" {
		h = append(h, Header{"Content-Type", contentType})
	}
	return h
}

func goText(env Env, status int, body string, extra ...Header) Response {
	return Response{Status: status, Body: body, Headers: goHeaders(env, body, "text/plain; charset=utf-8", extra...)}
}

func stdlog(t time.Time) string { return t.UTC().Format("2006/01/02 15:04:05") }

func at(env Env, d time.Duration) Env { env.Time = env.Time.Add(d); return env }

func clientAddr(req Request) string {
	return fmt.Sprintf("%s:%d", req.ClientIP, req.ClientPort)
}

func ua(req Request) string {
	if req.UserAgent == "" {
		return "-"
	}
	return req.UserAgent
}

// ---------------------------------------------------------------- nginx

var nginxEntrypointLines = []string{
	"/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration",
	"/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/",
	"/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh",
	"10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf",
	"10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf",
	"/docker-entrypoint.sh: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh",
	"/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh",
	"/docker-entrypoint.sh: Launching /docker-entrypoint.d/30-tune-worker-processes.sh",
	"/docker-entrypoint.sh: Configuration complete; ready for start up",
}

// NginxWelcome is the body of nginx's default index.html (615 bytes).
const NginxWelcome = `<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
`

// nginxIndexMtime is the welcome page's modification time in the image
// (it shows in Last-Modified and the ETag).
var nginxIndexMtime = time.Date(2024, 11, 26, 15, 55, 0, 0, time.UTC)

// nginx workers: worker_processes auto on a 2-CPU node.
const nginxWorker = 29

func nginxErrorPage(version string, status int) string {
	title := fmt.Sprintf("%d %s", status, statusText(status))
	return "<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" + title +
		"</h1></center>\r\n<hr><center>nginx/" + version + "</center>\r\n</body>\r\n</html>\r\n"
}

var nginxServer = &serverDef{
	http: true,
	banner: func(p Process, env Env) []Line {
		t := stdlog(env.Time)
		lines := []string{
			"[notice] 1#1: using the \"epoll\" event method",
			"[notice] 1#1: nginx/" + p.Image.Version,
			"[notice] 1#1: built by gcc 12.2.0 (Debian 12.2.0-14) ",
			"[notice] 1#1: OS: Linux 6.8.0-49-generic",
			"[notice] 1#1: getrlimit(RLIMIT_NOFILE): 1048576:1048576",
			"[notice] 1#1: start worker processes",
			fmt.Sprintf("[notice] 1#1: start worker process %d", nginxWorker),
			fmt.Sprintf("[notice] 1#1: start worker process %d", nginxWorker+1),
		}
		if p.Image.Base == "alpine" {
			lines[2] = "[notice] 1#1: built by gcc 13.2.1 20240309 (Alpine 13.2.1_git20240309) "
		}
		out := make([]Line, 0, len(lines))
		for _, l := range lines {
			out = append(out, Line{Text: t + " " + l})
		}
		return out
	},
	serve: func(p Process, env Env, req Request) Response {
		v := p.Image.Version
		base := []Header{{"Server", "nginx/" + v}, {"Date", env.Time.UTC().Format(httpDate)}}
		errorPage := func(status int) Response {
			body := nginxErrorPage(v, status)
			return Response{Status: status, Body: body, Headers: append(base,
				Header{"Content-Type", "text/html"}, Header{"Content-Length", strconv.Itoa(len(body))}, Header{"Connection", "keep-alive"})}
		}
		path, _, _ := strings.Cut(req.Path, "?")
		if path != "/" && path != "/index.html" && path != "/50x.html" {
			return errorPage(404)
		}
		if req.Method != "GET" && req.Method != "HEAD" {
			return errorPage(405)
		}
		body := NginxWelcome
		if path == "/50x.html" {
			body = nginx50x
		}
		h := append(base, Header{"Content-Type", "text/html"}, Header{"Content-Length", strconv.Itoa(len(body))},
			Header{"Last-Modified", nginxIndexMtime.Format(httpDate)}, Header{"Connection", "keep-alive"},
			Header{"ETag", fmt.Sprintf("\"%x-%x\"", nginxIndexMtime.Unix(), len(body))}, Header{"Accept-Ranges", "bytes"})
		if req.Method == "HEAD" {
			body = ""
		}
		return Response{Status: 200, Headers: h, Body: body}
	},
	access: func(p Process, env Env, req Request, resp Response) []string {
		var out []string
		if resp.Status == 404 {
			out = append(out, fmt.Sprintf("%s [error] %d#%d: *1 open() \"/usr/share/nginx/html%s\" failed (2: No such file or directory), client: %s, server: localhost, request: \"%s %s HTTP/1.1\", host: \"%s\"",
				stdlog(env.Time), nginxWorker, nginxWorker, req.Path, req.ClientIP, req.Method, req.Path, req.Host))
		}
		out = append(out, fmt.Sprintf("%s - - [%s] \"%s %s HTTP/1.1\" %d %d \"-\" \"%s\" \"-\"",
			req.ClientIP, env.Time.UTC().Format("02/Jan/2006:15:04:05 -0700"), req.Method, req.Path, resp.Status, len(resp.Body), ua(req)))
		return out
	},
}

const nginx50x = `<!DOCTYPE html>
<html>
<head>
<title>Error</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>An error occurred.</h1>
<p>Sorry, the page you are looking for is currently unavailable.<br/>
Please try again later.</p>
<p>If you are the system administrator of this resource then you should check
the error log for details.</p>
<p><em>Faithfully yours, nginx.</em></p>
</body>
</html>
`

// ---------------------------------------------------------------- httpd

// HTTPDItWorks is Apache httpd's default index.html.
const HTTPDItWorks = "<html><body><h1>It works!</h1></body></html>\n"

const httpdNotFound = `<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
<html><head>
<title>404 Not Found</title>
</head><body>
<h1>Not Found</h1>
<p>The requested URL was not found on this server.</p>
</body></html>
`

var httpdServer = &serverDef{
	http: true,
	banner: func(p Process, env Env) []Line {
		fqdn := fmt.Sprintf("AH00558: httpd: Could not reliably determine the server's fully qualified domain name, using %s. Set the 'ServerName' directive globally to suppress this message", env.PodIP)
		t := env.Time.UTC().Format("Mon Jan 02 15:04:05.000000 2006")
		return []Line{{Text: fqdn}, {Text: fqdn},
			{Text: fmt.Sprintf("[%s] [mpm_event:notice] [pid 1:tid 1] AH00489: Apache/%s (Unix) configured -- resuming normal operations", t, p.Image.Version)},
			{Text: fmt.Sprintf("[%s] [core:notice] [pid 1:tid 1] AH00094: Command line: 'httpd -D FOREGROUND'", t)}}
	},
	serve: func(p Process, env Env, req Request) Response {
		h := []Header{{"Date", env.Time.UTC().Format(httpDate)}, {"Server", "Apache/" + p.Image.Version + " (Unix)"}}
		path, _, _ := strings.Cut(req.Path, "?")
		if path != "/" && path != "/index.html" {
			body := httpdNotFound
			return Response{Status: 404, Body: body, Headers: append(h, Header{"Content-Length", strconv.Itoa(len(body))},
				Header{"Content-Type", "text/html; charset=iso-8859-1"})}
		}
		body := HTTPDItWorks
		h = append(h, Header{"Last-Modified", "Mon, 11 Jun 2007 18:53:14 GMT"}, Header{"ETag", "\"2d-432a5e4a73a80\""},
			Header{"Accept-Ranges", "bytes"}, Header{"Content-Length", strconv.Itoa(len(body))}, Header{"Content-Type", "text/html"})
		if req.Method == "HEAD" {
			body = ""
		}
		return Response{Status: 200, Headers: h, Body: body}
	},
	access: func(p Process, env Env, req Request, resp Response) []string {
		size := strconv.Itoa(len(resp.Body))
		if len(resp.Body) == 0 {
			size = "-"
		}
		return []string{fmt.Sprintf("%s - - [%s] \"%s %s HTTP/1.1\" %d %s",
			req.ClientIP, env.Time.UTC().Format("02/Jan/2006:15:04:05 -0700"), req.Method, req.Path, resp.Status, size)}
	},
}

var busyboxHTTPD = &serverDef{
	http: true,
	serve: func(p Process, env Env, req Request) Response {
		body := "<HTML><HEAD><TITLE>404 Not Found</TITLE></HEAD>\n<BODY><H1>404 Not Found</H1>\nThe requested URL was not found\n</BODY></HTML>\n"
		return Response{Status: 404, Body: body, Headers: []Header{{"Date", env.Time.UTC().Format(httpDate)},
			{"Connection", "close"}, {"Content-type", "text/html"}}}
	},
}

// ---------------------------------------------------------------- demos

// DeathstarAPI is the answer of the star-wars deathstar to GET /v1.
func deathstarAPI(hostname string) string {
	return `{
	"name": "Death Star",
	"hostname": "` + hostname + `",
	"model": "DS-1 Orbital Battle Station",
	"manufacturer": "Imperial Department of Military Research, Sienar Fleet Systems",
	"cost_in_credits": "1000000000000",
	"length": "120000",
	"crew": "342953",
	"passengers": "843342",
	"cargo_capacity": "1000000000000",
	"hyperdrive_rating": "4.0",
	"starship_class": "Deep Space Mobile Battlestation",
	"api": [
		"GET   /v1",
		"GET   /v1/healthz",
		"POST  /v1/request-landing",
		"PUT   /v1/cargobay",
		"GET   /v1/hyper-matter-reactor/status",
		"PUT   /v1/exhaust-port"
	]
}
`
}

const deathstarPanic = `Panic: deathstar exploded

goroutine 1 [running]:
main.HandleGarbage(0x2080c3f50, 0x2, 0x4, 0x425c0, 0x5, 0xa)
	/code/src/github.com/empire/deathstar/
	temp/main.go:9 +0x64
main.main()
	/code/src/github.com/empire/deathstar/
	temp/main.go:5 +0x85
`

var deathstar = &serverDef{
	http: true,
	serve: func(p Process, env Env, req Request) Response {
		path, _, _ := strings.Cut(req.Path, "?")
		path = strings.TrimSuffix(path, "/")
		switch {
		case req.Method == "POST" && path == "/v1/request-landing":
			return goText(env, 200, "Ship landed\n")
		case req.Method == "PUT" && path == "/v1/exhaust-port":
			return goText(env, 503, deathstarPanic)
		case req.Method == "GET" && path == "/v1":
			return goText(env, 200, deathstarAPI(env.Hostname))
		case req.Method == "GET" && path == "/v1/healthz":
			return goText(env, 200, "")
		}
		return goText(env, 404, "404 page not found\n", Header{"X-Content-Type-Options", "nosniff"})
	},
}

var jsonServer = &serverDef{
	http: true,
	banner: func(p Process, env Env) []Line {
		return []Line{{Text: ""}, {Text: "  \\{^_^}/ hi!"}, {Text: ""}, {Text: "  Loading /default.json"}, {Text: "  Done"},
			{Text: ""}, {Text: "  Home"}, {Text: fmt.Sprintf("  http://:%d", p.port)}, {Text: ""},
			{Text: "  Type s + enter at any time to create a snapshot of the database"}, {Text: "  Watching..."}}
	},
	serve: func(p Process, env Env, req Request) Response {
		body := "{}"
		status := 404
		if req.Path == "/" {
			status, body = 200, "{}"
		}
		return Response{Status: status, Body: body, Headers: []Header{{"X-Powered-By", "Express"},
			{"Content-Type", "application/json; charset=utf-8"}, {"Content-Length", strconv.Itoa(len(body))},
			{"Date", env.Time.UTC().Format(httpDate)}, {"Connection", "keep-alive"}}}
	},
	access: func(p Process, env Env, req Request, resp Response) []string {
		return []string{fmt.Sprintf("%s %s %d 2.115 ms - %d", req.Method, req.Path, resp.Status, len(resp.Body))}
	},
}

// serveHostname is the answer of an image the catalog does not know: the
// pod's hostname, as the "hostname" demo images answer.
var serveHostname = &serverDef{
	http: true,
	serve: func(p Process, env Env, req Request) Response {
		return goText(env, 200, env.Hostname+"\n")
	},
}

var serveHostnameServer = &serverDef{
	http: true,
	banner: func(p Process, env Env) []Line {
		return []Line{{Text: fmt.Sprintf("%s Serving on port %d.", stdlog(env.Time), p.port)}}
	},
	serve: func(p Process, env Env, req Request) Response { return goText(env, 200, env.Hostname) },
}

var netexec = &serverDef{
	http: true,
	banner: func(p Process, env Env) []Line {
		out := []Line{{Text: fmt.Sprintf("%s Started HTTP server on port %d", stdlog(env.Time), p.port)}}
		for _, port := range p.Ports {
			if port.Protocol == "UDP" {
				out = append(out, Line{Text: fmt.Sprintf("%s Started UDP server on port  %d", stdlog(env.Time), port.Port)})
			}
		}
		return out
	},
	serve: func(p Process, env Env, req Request) Response {
		path, query, _ := strings.Cut(req.Path, "?")
		switch path {
		case "/hostname":
			return goText(env, 200, env.Hostname)
		case "/clientip":
			return goText(env, 200, clientAddr(req))
		case "/healthz", "/readyz":
			return goText(env, 200, "")
		case "/echo":
			msg := ""
			for _, kv := range strings.Split(query, "&") {
				if v, ok := strings.CutPrefix(kv, "msg="); ok {
					msg = v
				}
			}
			return goText(env, 200, msg)
		case "/exit":
			return goText(env, 200, "")
		}
		return goText(env, 200, "NOW: "+env.Time.UTC().Format("2006-01-02 15:04:05.999999999 -0700 MST"))
	},
	access: func(p Process, env Env, req Request, resp Response) []string {
		path, _, _ := strings.Cut(req.Path, "?")
		return []string{fmt.Sprintf("%s %s %s", stdlog(env.Time), req.Method, path)}
	},
}

var testWebserver = &serverDef{
	http: true,
	serve: func(p Process, env Env, req Request) Response {
		return goText(env, 200, "<html><body>hello</body></html>\n")
	},
}

var agnhostLiveness = &serverDef{
	http:  true,
	serve: func(p Process, env Env, req Request) Response { return goText(env, 200, "ok") },
}

var httpEcho = &serverDef{
	http: true,
	banner: func(p Process, env Env) []Line {
		return []Line{{Text: fmt.Sprintf("%s [INFO] server is listening on :%d", stdlog(env.Time), p.port)}}
	},
	serve: func(p Process, env Env, req Request) Response {
		extra := []Header{{"X-App-Name", "http-echo"}, {"X-App-Version", p.Image.Version}}
		if strings.HasPrefix(req.Path, "/health") {
			return goText(env, 200, "{\"status\":\"ok\"}\n", extra...)
		}
		return goText(env, 200, p.text+"\n", extra...)
	},
	access: func(p Process, env Env, req Request, resp Response) []string {
		return []string{fmt.Sprintf("%s %s %s \"%s %s HTTP/1.1\" %d %d \"%s\" 41.5µs",
			stdlog(env.Time), req.Host, clientAddr(req), req.Method, req.Path, resp.Status, len(resp.Body), ua(req))}
	},
}

// ---------------------------------------------------------------- not HTTP

var redisServer = &serverDef{
	banner: func(p Process, env Env) []Line {
		t := env.Time.UTC().Format("02 Jan 2006 15:04:05.000")
		return []Line{
			{Text: "1:C " + t + " # WARNING Memory overcommit must be enabled! Without it, a background save or replication may fail under low memory condition. Being disabled, it can also cause failures without low memory condition, see https://github.com/jemalloc/jemalloc/issues/1328. To fix this issue add 'vm.overcommit_memory = 1' to /etc/sysctl.conf and then reboot or run the command 'sysctl vm.overcommit_memory=1' for this to take effect."},
			{Text: "1:C " + t + " * oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo"},
			{Text: "1:C " + t + " * Redis version=" + p.Image.Version + ", bits=64, commit=00000000, modified=0, pid=1, just started"},
			{Text: "1:C " + t + " # Warning: no config file specified, using the default config. In order to specify a config file use redis-server /path/to/redis.conf"},
			{Text: "1:M " + t + " * monotonic clock: POSIX clock_gettime"},
			{Text: fmt.Sprintf("1:M %s * Running mode=standalone, port=%d.", t, p.port)},
			{Text: "1:M " + t + " * Server initialized"},
			{Text: "1:M " + t + " * Ready to accept connections tcp"},
		}
	},
	serve: func(p Process, env Env, req Request) Response {
		// "GET / HTTP/1.1" is a Redis command with two arguments too
		// many; the Host: line then trips Redis' cross-protocol guard.
		return Response{CurlExit: 1, CurlError: "Received HTTP/0.9 when not allowed"}
	},
	access: func(p Process, env Env, req Request, resp Response) []string {
		t := env.Time.UTC().Format("02 Jan 2006 15:04:05.000")
		return []string{fmt.Sprintf("1:M %s # Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis. This is likely due to an attacker attempting to use Cross Protocol Scripting to compromise your Redis instance. Connection from %s aborted.", t, clientAddr(req))}
	},
}

var noHTTP = &serverDef{
	serve: func(p Process, env Env, req Request) Response {
		return Response{CurlExit: 52, CurlError: "Empty reply from server"}
	},
}

// tlsOnly is a Go TLS server reached over plain HTTP.
var tlsOnly = &serverDef{
	serve: func(p Process, env Env, req Request) Response {
		if req.TLS {
			return goText(env, 200, "ok")
		}
		return Response{Status: 400, Body: "Client sent an HTTP request to an HTTPS server.\n"}
	},
}

// etcdServer serves TLS on its client and peer ports and plain HTTP
// health on its metrics port (kubeadm's --listen-metrics-urls
// http://127.0.0.1:2381, which its probes ask).
var etcdServer = &serverDef{
	serve: func(p Process, env Env, req Request) Response {
		if len(p.Ports) > 2 && req.Port == p.Ports[2].Port {
			switch req.Path {
			case "/health", "/readyz", "/livez":
				return goText(env, 200, "{\"health\":\"true\",\"reason\":\"\"}")
			}
			return goText(env, 404, "404 page not found\n")
		}
		return tlsOnly.serve(p, env, req)
	},
}

var kubeProxyHealth = &serverDef{
	http: true,
	serve: func(p Process, env Env, req Request) Response {
		t := env.Time.UTC().Format("2006-01-02 15:04:05.000000000 -0700 MST")
		body := fmt.Sprintf("{\"lastUpdated\": %q,\"currentTime\": %q, \"nodeEligible\": true}", t, t)
		return Response{Status: 200, Body: body, Headers: goHeaders(env, body, "application/json", Header{"X-Content-Type-Options", "nosniff"})}
	},
}

// corefile is kubeadm's Corefile; CoreDNS prints its SHA512 when it loads.
const corefile = `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
`

var corednsServer = &serverDef{
	http: true,
	banner: func(p Process, env Env) []Line {
		sum := sha512.Sum512([]byte(corefile))
		return []Line{{Text: ".:53"}, {Text: "[INFO] plugin/reload: Running configuration SHA512 = " + hex.EncodeToString(sum[:])},
			{Text: "CoreDNS-" + p.Image.Version}, {Text: "linux/amd64, go1.21.11, a6338e9"}}
	},
	serve: func(p Process, env Env, req Request) Response {
		switch req.Port {
		case 8080:
			if req.Path == "/health" {
				return goText(env, 200, "OK")
			}
		case 8181:
			if req.Path == "/ready" {
				return goText(env, 200, "OK")
			}
		case 9153:
			if req.Path == "/metrics" {
				return goText(env, 200, "# HELP coredns_build_info A metric with a constant '1' value labeled by version, revision, and goversion from which CoreDNS was built.\n# TYPE coredns_build_info gauge\ncoredns_build_info{goversion=\"go1.21.11\",revision=\"a6338e9\",version=\""+p.Image.Version+"\"} 1\n")
			}
		case 53:
			return Response{CurlExit: 52, CurlError: "Empty reply from server"}
		}
		return goText(env, 404, "404 page not found\n", Header{"X-Content-Type-Options", "nosniff"})
	},
}
