package images

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var env = Env{Hostname: "web-1", PodIP: "10.0.1.7", Time: time.Date(2026, 12, 3, 18, 40, 12, 0, time.UTC)}

func TestNormalize(t *testing.T) {
	tests := []struct {
		in, wantFull, wantRepo, wantTag string
	}{
		{"nginx", "docker.io/library/nginx:latest", "docker.io/library/nginx", "latest"},
		{"nginx:1.27", "docker.io/library/nginx:1.27", "docker.io/library/nginx", "1.27"},
		{"docker.io/library/nginx@sha256:abc", "docker.io/library/nginx@sha256:abc", "docker.io/library/nginx", ""},
		{"cilium/starwars", "docker.io/cilium/starwars:latest", "docker.io/cilium/starwars", "latest"},
		{"quay.io/cilium/starwars:v2.1@sha256:83", "quay.io/cilium/starwars@sha256:83", "quay.io/cilium/starwars", "v2.1"},
		{"localhost:5000/app:v1", "localhost:5000/app:v1", "localhost:5000/app", "v1"},
		{"registry.k8s.io/pause:3.10", "registry.k8s.io/pause:3.10", "registry.k8s.io/pause", "3.10"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			full, repo, tag := Normalize(tt.in)
			assert.Equal(t, tt.wantFull, full)
			assert.Equal(t, tt.wantRepo, repo)
			assert.Equal(t, tt.wantTag, tag)
		})
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		image     string
		wantName  string
		wantPorts []Port
		wantShell string
		has       []string
		lacks     []string
	}{
		{"nginx", "nginx", tcp(80), "/bin/sh", []string{"sh", "bash", "curl", "ls", "cat", "env", "hostname"}, []string{"wget", "ping", "ps"}},
		{"nginx:1.27-alpine", "nginx", tcp(80), "/bin/sh", []string{"sh", "curl", "wget"}, []string{"bash"}},
		{"docker.io/library/nginx@sha256:0123", "nginx", tcp(80), "/bin/sh", nil, nil},
		{"httpd:2.4", "httpd", tcp(80), "/bin/sh", []string{"httpd-foreground"}, []string{"curl"}},
		{"docker.io/cilium/starwars", "starwars", tcp(80), "", nil, []string{"sh"}},
		{"quay.io/cilium/starwars:v2.1@sha256:833d", "starwars", tcp(80), "", nil, []string{"sh"}},
		{"quay.io/cilium/json-mock:v1.3.8", "json-mock", tcp(80), "/bin/sh", []string{"curl", "bash"}, nil},
		{"registry.k8s.io/e2e-test-images/agnhost:2.53", "agnhost", nil, "/bin/sh", []string{"agnhost", "curl"}, nil},
		{"hashicorp/http-echo", "http-echo", tcp(5678), "", []string{"http-echo"}, []string{"sh"}},
		{"redis:7", "redis", tcp(6379), "/bin/sh", []string{"redis-cli"}, []string{"curl"}},
		{"busybox", "busybox", nil, "/bin/sh", []string{"sh", "wget", "nslookup", "sleep"}, []string{"curl", "bash"}},
		{"alpine:3.21", "alpine", nil, "/bin/sh", []string{"sh", "wget", "apk"}, []string{"curl", "bash"}},
		{"curlimages/curl", "curl", nil, "/bin/sh", []string{"curl", "sh"}, []string{"bash"}},
		{"registry.k8s.io/pause:3.10", "pause", nil, "", []string{"pause"}, []string{"sh"}},
		{"registry.k8s.io/coredns/coredns:v1.11.3", "coredns", []Port{{53, "UDP"}, {53, "TCP"}, {8080, "TCP"}, {8181, "TCP"}, {9153, "TCP"}}, "", nil, []string{"sh"}},
		{"registry.k8s.io/kube-apiserver:v1.32.4", "kube-apiserver", tcp(6443), "", nil, []string{"sh"}},
		{"registry.k8s.io/etcd:3.5.16-0", "etcd", tcp(2379, 2380), "", []string{"etcdctl"}, []string{"sh"}},
		{"registry.k8s.io/kube-scheduler:v1.32.4", "kube-scheduler", tcp(10259), "", nil, nil},
		{"registry.k8s.io/kube-controller-manager:v1.32.4", "kube-controller-manager", tcp(10257), "", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.image, func(t *testing.T) {
			im := Lookup(tt.image)
			require.True(t, im.Known)
			assert.Equal(t, tt.wantName, im.Name)
			assert.Equal(t, tt.wantPorts, im.Ports)
			assert.Equal(t, tt.wantShell, im.Shell)
			for _, b := range tt.has {
				assert.True(t, im.Has(b), "%s should have %s", tt.image, b)
			}
			for _, b := range tt.lacks {
				assert.False(t, im.Has(b), "%s should not have %s", tt.image, b)
			}
			// The default command listens where the entry says.
			p := im.Start(Spec{})
			if tt.wantName != "agnhost" {
				assert.Equal(t, tt.wantPorts, p.Ports, "default command's ports")
			}
		})
	}
}

func TestUnknownImage(t *testing.T) {
	im := Lookup("example.com/team/app:v3")
	assert.False(t, im.Known)
	assert.Equal(t, "example.com/team/app:v3", im.Ref)
	p := im.Start(Spec{})
	assert.True(t, p.DeclaredPorts)
	assert.False(t, p.Exits)
	resp := p.Serve(env, Request{Method: "GET", Path: "/"})
	assert.Equal(t, 200, resp.Status)
	assert.Equal(t, "web-1\n", resp.Body)
	// A known program in an unknown image still behaves as that program.
	p = im.Start(Spec{Command: []string{"sh", "-c", "exit 3"}})
	assert.True(t, p.Exits)
	assert.Equal(t, int32(3), p.ExitCode)
	p = im.Start(Spec{Command: []string{"/app/server"}})
	assert.False(t, p.Exits)
	assert.True(t, p.DeclaredPorts)
}

func TestProcessLife(t *testing.T) {
	tests := []struct {
		name         string
		image        string
		spec         Spec
		wantExits    bool
		wantAfter    time.Duration
		wantCode     int32
		wantPorts    []Port
		wantLog      string // a line the log contains
		wantStartErr string
		wantProgram  string
	}{
		{name: "busybox sh without a terminal exits 0 at once", image: "busybox", wantExits: true, wantProgram: "sh"},
		{name: "alpine sh with stdin waits", image: "alpine", spec: Spec{Stdin: true}, wantProgram: "sh"},
		{name: "sleep 3600", image: "busybox", spec: Spec{Command: []string{"sleep", "3600"}}, wantExits: true, wantAfter: time.Hour, wantProgram: "sleep"},
		{name: "sleep infinity", image: "busybox", spec: Spec{Command: []string{"sleep", "infinity"}}, wantProgram: "sleep"},
		{name: "sleep bad", image: "busybox", spec: Spec{Command: []string{"sleep", "soon"}}, wantExits: true, wantCode: 1, wantLog: "sleep: invalid number 'soon'"},
		{name: "sh -c exit 1", image: "busybox", spec: Spec{Command: []string{"sh", "-c", "exit 1"}}, wantExits: true, wantCode: 1},
		{name: "script", image: "busybox", spec: Spec{Command: []string{"sh", "-c", "echo starting; sleep 5; echo done && exit 2"}},
			wantExits: true, wantAfter: 5 * time.Second, wantCode: 2, wantLog: "done"},
		{name: "loop runs forever", image: "busybox", spec: Spec{Command: []string{"sh", "-c"}, Args: []string{"while true; do echo hello; sleep 10; done"}}, wantLog: "hello"},
		{name: "missing command in sh", image: "alpine", spec: Spec{Command: []string{"sh", "-c", "curl -s http://web"}}, wantExits: true, wantCode: 127, wantLog: "sh: curl: not found"},
		{name: "missing command in dash", image: "nginx", spec: Spec{Command: []string{"sh", "-c", "wget -qO- http://web"}}, wantExits: true, wantCode: 127, wantLog: "sh: 1: wget: not found"},
		{name: "executable not in the image", image: "alpine", spec: Spec{Command: []string{"curl", "http://web"}},
			wantStartErr: `exec: "curl": executable file not found in $PATH`},
		{name: "nginx default", image: "nginx:1.27", wantPorts: tcp(80), wantProgram: "nginx",
			wantLog: "/docker-entrypoint.sh: Configuration complete; ready for start up"},
		{name: "nginx without daemon off exits", image: "nginx", spec: Spec{Command: []string{"nginx"}}, wantExits: true},
		{name: "nginx in sh -c exec", image: "nginx", spec: Spec{Command: []string{"sh", "-c", "exec nginx -g 'daemon off;'"}}, wantPorts: tcp(80)},
		{name: "httpd", image: "httpd", wantPorts: tcp(80), wantLog: "AH00094: Command line: 'httpd -D FOREGROUND'"},
		{name: "deathstar", image: "quay.io/cilium/starwars:v2.1", wantPorts: tcp(80), wantProgram: "starwars"},
		{name: "agnhost default pauses", image: "registry.k8s.io/e2e-test-images/agnhost:2.53", wantProgram: "agnhost pause", wantLog: "Paused"},
		{name: "agnhost netexec", image: "registry.k8s.io/e2e-test-images/agnhost:2.53", spec: Spec{Args: []string{"netexec", "--http-port=8080"}},
			wantPorts: []Port{{8080, "TCP"}, {8081, "UDP"}}, wantLog: "Started HTTP server on port 8080"},
		{name: "agnhost serve-hostname", image: "registry.k8s.io/e2e-test-images/agnhost:2.53", spec: Spec{Args: []string{"serve-hostname"}}, wantPorts: tcp(9376)},
		{name: "agnhost unknown subcommand", image: "registry.k8s.io/e2e-test-images/agnhost:2.53", spec: Spec{Args: []string{"nope"}}, wantExits: true, wantCode: 1},
		{name: "http-echo", image: "hashicorp/http-echo", spec: Spec{Args: []string{"-text=hi", "-listen=:5679"}}, wantPorts: tcp(5679),
			wantLog: "2026/12/03 18:40:12 [INFO] server is listening on :5679"},
		{name: "redis", image: "redis:7", wantPorts: tcp(6379), wantLog: "* Ready to accept connections tcp"},
		{name: "redis --port", image: "redis:7", spec: Spec{Args: []string{"--port", "7000"}}, wantPorts: tcp(7000), wantLog: "Running mode=standalone, port=7000."},
		{name: "curl image without args", image: "curlimages/curl", wantExits: true, wantCode: 2, wantLog: "curl: try 'curl --help' or 'curl --manual' for more information"},
		{name: "curl image one request", image: "curlimages/curl", spec: Spec{Args: []string{"-s", "http://web"}}, wantExits: true},
		{name: "pause", image: "registry.k8s.io/pause:3.10", wantProgram: "pause"},
		{name: "json-mock honours PORT", image: "quay.io/cilium/json-mock:v1.3.8", spec: Spec{Env: map[string]string{"PORT": "8080"}}, wantPorts: tcp(8080)},
		{name: "apiserver secure port", image: "registry.k8s.io/kube-apiserver:v1.32.4", spec: Spec{Command: []string{"kube-apiserver", "--secure-port=6444"}}, wantPorts: tcp(6444)},
		{name: "etcd urls", image: "registry.k8s.io/etcd:3.5.16-0", spec: Spec{Command: []string{"etcd", "--listen-client-urls=https://127.0.0.1:2379,https://10.0.0.2:2379", "--listen-peer-urls=https://10.0.0.2:2380"}},
			wantPorts: tcp(2379, 2380)},
		{name: "no command at all", image: "registry.k8s.io/pause:3.10", spec: Spec{Command: []string{"/nothing"}}, wantStartErr: `stat /nothing: no such file or directory`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Lookup(tt.image).Start(tt.spec)
			if tt.wantStartErr != "" {
				assert.Contains(t, p.StartError, tt.wantStartErr)
				return
			}
			require.Empty(t, p.StartError)
			assert.Equal(t, tt.wantExits, p.Exits, "exits")
			assert.Equal(t, tt.wantAfter, p.ExitAfter, "exit after")
			assert.Equal(t, tt.wantCode, p.ExitCode, "exit code")
			assert.Equal(t, tt.wantPorts, p.Ports, "ports")
			if tt.wantProgram != "" {
				assert.Equal(t, tt.wantProgram, p.Program)
			}
			if tt.wantLog != "" {
				var lines []string
				for _, l := range p.StartupLogs(env) {
					lines = append(lines, l.Text)
				}
				assert.Contains(t, strings.Join(lines, "\n"), tt.wantLog)
			}
		})
	}
}

func TestScriptLogOffsets(t *testing.T) {
	p := Lookup("busybox").Start(Spec{Command: []string{"sh", "-c", "echo a; sleep 5; echo b; sleep 1"}})
	assert.Equal(t, []Line{{After: 0, Text: "a"}, {After: 5 * time.Second, Text: "b"}}, p.StartupLogs(env))
	assert.Equal(t, 6*time.Second, p.ExitAfter)
}

func TestServe(t *testing.T) {
	client := Request{Host: "10.0.1.7", UserAgent: "curl/8.5.0", ClientIP: "10.0.1.5", ClientPort: 43210, Port: 80}
	req := func(method, path string) Request {
		r := client
		r.Method, r.Path = method, path
		return r
	}
	tests := []struct {
		name       string
		image      string
		spec       Spec
		req        Request
		wantStatus int
		wantBody   string
		wantHeader string
		wantLog    []string
		wantCurl   string
	}{
		{name: "nginx welcome", image: "nginx:1.27", req: req("GET", "/"), wantStatus: 200, wantBody: NginxWelcome,
			wantHeader: "Server: nginx/1.27.3",
			wantLog:    []string{`10.0.1.5 - - [03/Dec/2026:18:40:12 +0000] "GET / HTTP/1.1" 200 615 "-" "curl/8.5.0" "-"`}},
		{name: "nginx 404", image: "nginx", req: req("GET", "/nope"), wantStatus: 404, wantBody: "<html>\r\n<head><title>404 Not Found</title></head>",
			wantLog: []string{`2026/12/03 18:40:12 [error] 29#29: *1 open() "/usr/share/nginx/html/nope" failed (2: No such file or directory), client: 10.0.1.5, server: localhost, request: "GET /nope HTTP/1.1", host: "10.0.1.7"`,
				`10.0.1.5 - - [03/Dec/2026:18:40:12 +0000] "GET /nope HTTP/1.1" 404 153 "-" "curl/8.5.0" "-"`}},
		{name: "nginx POST", image: "nginx", req: req("POST", "/"), wantStatus: 405, wantBody: "405 Not Allowed"},
		{name: "httpd", image: "httpd", req: req("GET", "/"), wantStatus: 200, wantBody: "<html><body><h1>It works!</h1></body></html>\n",
			wantLog: []string{`10.0.1.5 - - [03/Dec/2026:18:40:12 +0000] "GET / HTTP/1.1" 200 45`}},
		{name: "deathstar landing", image: "docker.io/cilium/starwars", req: req("POST", "/v1/request-landing"), wantStatus: 200, wantBody: "Ship landed\n"},
		{name: "deathstar exhaust port", image: "docker.io/cilium/starwars", req: req("PUT", "/v1/exhaust-port"), wantStatus: 503, wantBody: "Panic: deathstar exploded"},
		{name: "deathstar api", image: "docker.io/cilium/starwars", req: req("GET", "/v1"), wantStatus: 200, wantBody: `"hostname": "web-1"`},
		{name: "deathstar GET landing", image: "docker.io/cilium/starwars", req: req("GET", "/v1/request-landing"), wantStatus: 404, wantBody: "404 page not found\n"},
		{name: "netexec hostname", image: "registry.k8s.io/e2e-test-images/agnhost:2.53", spec: Spec{Args: []string{"netexec"}},
			req: req("GET", "/hostname"), wantStatus: 200, wantBody: "web-1", wantLog: []string{"2026/12/03 18:40:12 GET /hostname"}},
		{name: "netexec clientip", image: "registry.k8s.io/e2e-test-images/agnhost:2.53", spec: Spec{Args: []string{"netexec"}},
			req: req("GET", "/clientip"), wantStatus: 200, wantBody: "10.0.1.5:43210"},
		{name: "serve-hostname", image: "registry.k8s.io/e2e-test-images/agnhost:2.53", spec: Spec{Args: []string{"serve-hostname"}},
			req: req("GET", "/"), wantStatus: 200, wantBody: "web-1"},
		{name: "http-echo", image: "hashicorp/http-echo", spec: Spec{Args: []string{"-text=hi"}}, req: req("GET", "/"), wantStatus: 200, wantBody: "hi\n",
			wantHeader: "X-App-Name: http-echo",
			wantLog:    []string{`2026/12/03 18:40:12 10.0.1.7 10.0.1.5:43210 "GET / HTTP/1.1" 200 3 "curl/8.5.0" 41.5µs`}},
		{name: "redis is not HTTP", image: "redis", req: req("GET", "/"), wantCurl: "Received HTTP/0.9 when not allowed",
			wantLog: []string{"Possible SECURITY ATTACK detected"}},
		{name: "apiserver over plain HTTP", image: "registry.k8s.io/kube-apiserver:v1.32.4", req: req("GET", "/"), wantStatus: 400, wantBody: "Client sent an HTTP request to an HTTPS server.\n"},
		{name: "coredns health", image: "registry.k8s.io/coredns/coredns:v1.11.3", req: Request{Method: "GET", Path: "/health", Port: 8080}, wantStatus: 200, wantBody: "OK"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Lookup(tt.image).Start(tt.spec)
			resp := p.Serve(env, tt.req)
			if tt.wantCurl != "" {
				assert.Equal(t, 0, resp.Status)
				assert.Equal(t, tt.wantCurl, resp.CurlError)
			} else {
				assert.Equal(t, tt.wantStatus, resp.Status)
				assert.Contains(t, resp.Body, tt.wantBody)
			}
			if tt.wantHeader != "" {
				assert.Contains(t, resp.Head(), tt.wantHeader+"\r\n")
			}
			logs := p.AccessLog(env, tt.req, resp)
			for i, want := range tt.wantLog {
				require.Greater(t, len(logs), i)
				assert.Contains(t, logs[i], want)
			}
		})
	}
}

func TestNginxWelcomeIsTheRealPage(t *testing.T) {
	assert.Len(t, NginxWelcome, 615)
	assert.Len(t, HTTPDItWorks, 45)
	resp := Lookup("nginx").Start(Spec{}).Serve(env, Request{})
	assert.Contains(t, resp.Head(), "ETag: \"6745ef54-267\"\r\n")
	assert.Contains(t, resp.Head(), "Content-Length: 615\r\n")
	assert.True(t, resp.OK())
	assert.Equal(t, "HTTP/1.1 200 OK", resp.StatusLine())
}

func TestPerlPi(t *testing.T) {
	im := Lookup("perl:5.34.0")
	p := im.Start(Spec{Command: []string{"perl", "-Mbignum=bpi", "-wle", "print bpi(2000)"}})
	assert.True(t, p.Exits)
	assert.Equal(t, int32(0), p.ExitCode)
	assert.Equal(t, 2*time.Second, p.ExitAfter)
	logs := p.StartupLogs(Env{})
	if assert.Len(t, logs, 1) {
		assert.Len(t, logs[0].Text, 2001)
		assert.True(t, strings.HasPrefix(logs[0].Text, "3.14159265358979323846264338327950288419716939937510"))
		// The Feynman point: six 9s from the 762nd decimal ("...34999999837...").
		assert.Equal(t, "4999999837", logs[0].Text[2+760:2+770])
	}
	assert.Equal(t, "3.1415", piDigits(5))
	p = im.Start(Spec{})
	assert.True(t, p.Exits)
	assert.Equal(t, time.Duration(0), p.ExitAfter)
}

func TestDatePrintsTheWallClockWhenTheProcessRuns(t *testing.T) {
	p := Lookup("busybox:1.28").Start(Spec{Command: []string{"/bin/sh", "-c", "date; echo Hello from the Kubernetes cluster"}})
	require.True(t, p.Exits)
	assert.Equal(t, int32(0), p.ExitCode)
	logs := p.StartupLogs(env)
	require.Len(t, logs, 2)
	assert.Equal(t, "Thu Dec  3 18:40:12 UTC 2026", logs[0].Text)
	assert.Equal(t, "Hello from the Kubernetes cluster", logs[1].Text)
	later := env
	later.Time = later.Time.Add(time.Minute)
	assert.Equal(t, "Thu Dec  3 18:41:12 UTC 2026", p.StartupLogs(later)[0].Text, "computed at each start")
}
