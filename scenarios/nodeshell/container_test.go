package nodeshell

import (
	"archive/tar"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const containerWorld = `apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  containers:
  - {name: nginx, image: "nginx:1.27", ports: [{containerPort: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: empty}
spec:
  selector: {app: nobody}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  containers:
  - name: main
    image: "curlimages/curl:8.11.1"
    command: [sleep, "3600"]
    env:
    - {name: GREETING, value: hello}
    - name: MY_POD
      valueFrom: {fieldRef: {fieldPath: metadata.name}}
---
apiVersion: v1
kind: Pod
metadata: {name: box}
spec:
  containers:
  - {name: main, image: "busybox:1.37", command: [sleep, "3600"]}
`

// TestContainerCommands runs kubectl exec's commands in containers of a
// booted cluster: each row one argv, its exit code and what it prints.
func TestContainerCommands(t *testing.T) {
	c := boot(t)
	_, err := c.Apply("world.yaml", []byte(containerWorld))
	require.NoError(t, err)
	require.True(t, c.WaitFor(func() bool {
		return Exec(c, ContainerRef{"default", "client", "main"}, []string{"nc", "-z", "web", "80"}, "").Code == 0
	}, 2*time.Minute), "the Service answers")

	tests := []struct {
		name       string
		pod        string
		argv       []string
		stdin      string
		wantCode   int
		wantStdout []string // substrings
		wantStderr []string
		wantExact  string // the whole stdout, when exact
		exact      bool
	}{
		{name: "curl by name", pod: "client", argv: []string{"curl", "-s", "web"}, wantStdout: []string{"<title>Welcome to nginx!</title>"}},
		{name: "curl progress meter", pod: "client", argv: []string{"curl", "web"}, wantStderr: []string{"% Total    % Received"}},
		{name: "curl head", pod: "client", argv: []string{"curl", "-sI", "http://web/"}, wantStdout: []string{"HTTP/1.1 200 OK\r\n", "Server: nginx/1.27.3\r\n", "Content-Length: 615\r\n"}},
		{name: "curl verbose", pod: "client", argv: []string{"curl", "-sv", "web"}, wantStderr: []string{"* IPv4: 10.", "> GET / HTTP/1.1", "> Host: web", "< HTTP/1.1 200 OK"}},
		{name: "curl 404 with fail", pod: "client", argv: []string{"curl", "-sf", "web/nope"}, wantCode: 22},
		{name: "curl -o", pod: "client", argv: []string{"curl", "-s", "-o", "/dev/null", "web"}, wantExact: "", exact: true},
		{name: "curl no such host", pod: "client", argv: []string{"curl", "nosuch"}, wantCode: 6, wantStderr: []string{"curl: (6) Could not resolve host: nosuch"}},
		{name: "curl silent hides the error", pod: "client", argv: []string{"curl", "-s", "nosuch"}, wantCode: 6, wantExact: "", exact: true},
		{name: "curl no endpoints", pod: "client", argv: []string{"curl", "-sS", "empty"}, wantCode: 7, wantStderr: []string{"curl: (7) Failed to connect to empty port 80 after"}},
		{name: "curl max time", pod: "client", argv: []string{"curl", "-sS", "-m", "2", "10.96.99.99"}, wantCode: 28, wantStderr: []string{"curl: (28) Connection timed out after 2000 milliseconds"}},
		{name: "curl unknown option", pod: "client", argv: []string{"curl", "--bogus", "web"}, wantCode: 2, wantStderr: []string{"curl: option --bogus: is unknown"}},
		{name: "wget", pod: "box", argv: []string{"wget", "-qO-", "web"}, wantStdout: []string{"Welcome to nginx!"}},
		{name: "wget bad address", pod: "box", argv: []string{"wget", "-qO-", "nosuch"}, wantCode: 1, wantStderr: []string{"wget: bad address 'nosuch'"}},
		{name: "nslookup", pod: "box", argv: []string{"nslookup", "web"}, wantStdout: []string{"Name:\tweb.default.svc.cluster.local", "Address: 10."}},
		{name: "nslookup nxdomain", pod: "box", argv: []string{"nslookup", "nosuch"}, wantCode: 1, wantStdout: []string{"** server can't find nosuch"}},
		{name: "nc open", pod: "box", argv: []string{"nc", "-zv", "web", "80"}, wantStderr: []string{"web (10."}},
		{name: "nc refused", pod: "box", argv: []string{"nc", "-zv", "empty", "80"}, wantCode: 1, wantStderr: []string{"Connection refused"}},
		{name: "ping a ClusterIP", pod: "box", argv: []string{"ping", "-c", "2", "web"}, wantCode: 1,
			wantStdout: []string{"PING web (10.", "2 packets transmitted, 0 packets received, 100% packet loss"}},
		{name: "ping bad address", pod: "box", argv: []string{"ping", "-c", "1", "nosuch"}, wantCode: 1, wantStderr: []string{"ping: bad address 'nosuch'"}},
		{name: "resolv.conf", pod: "box", argv: []string{"cat", "/etc/resolv.conf"},
			wantExact: "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n", exact: true},
		{name: "hosts", pod: "box", argv: []string{"cat", "/etc/hosts"}, wantStdout: []string{"# Kubernetes-managed hosts file.", "\tbox\n"}},
		{name: "sa namespace", pod: "box", argv: []string{"cat", "/var/run/secrets/kubernetes.io/serviceaccount/namespace"}, wantExact: "default", exact: true},
		{name: "sa files", pod: "box", argv: []string{"ls", "/var/run/secrets/kubernetes.io/serviceaccount"}, wantStdout: []string{"ca.crt", "namespace", "token"}},
		{name: "env", pod: "client", argv: []string{"env"}, wantStdout: []string{"HOSTNAME=client\n", "GREETING=hello\n", "MY_POD=client\n",
			"KUBERNETES_SERVICE_HOST=10.96.0.1\n", "KUBERNETES_SERVICE_PORT=443\n", "KUBERNETES_SERVICE_PORT_HTTPS=443\n", "KUBERNETES_PORT_443_TCP=tcp://10.96.0.1:443\n",
			"WEB_SERVICE_PORT_HTTP=80\n", "WEB_PORT_80_TCP_PROTO=tcp\n", "EMPTY_SERVICE_PORT=80\n"}},
		{name: "printenv", pod: "client", argv: []string{"printenv", "GREETING"}, wantExact: "hello\n", exact: true},
		{name: "hostname", pod: "box", argv: []string{"hostname"}, wantExact: "box\n", exact: true},
		{name: "ps", pod: "web", argv: []string{"sh", "-c", "ps"}, wantCode: 127, wantStderr: []string{"sh: 1: ps: not found"}, exact: true},
		{name: "ps busybox", pod: "box", argv: []string{"ps"}, wantStdout: []string{"PID   USER     TIME  COMMAND", "    1 root      0:00 sleep 3600"}},
		{name: "missing binary", pod: "web", argv: []string{"nslookup", "web"}, wantCode: 127,
			wantStderr: []string{`OCI runtime exec failed: exec failed: unable to start container process: exec: "nslookup": executable file not found in $PATH: unknown`}},
		{name: "missing in busybox sh", pod: "box", argv: []string{"sh", "-c", "curl web"}, wantCode: 127, wantStderr: []string{"sh: curl: not found"}},
		{name: "and list", pod: "box", argv: []string{"sh", "-c", "true && echo yes && false && echo no"}, wantCode: 1, wantExact: "yes\n", exact: true},
		{name: "or list", pod: "box", argv: []string{"sh", "-c", "false || echo rescued"}, wantExact: "rescued\n", exact: true},
		{name: "sequence", pod: "box", argv: []string{"sh", "-c", "echo a; echo b"}, wantExact: "a\nb\n", exact: true},
		{name: "pipe", pod: "box", argv: []string{"sh", "-c", "cat /etc/resolv.conf | grep nameserver"}, wantExact: "nameserver 10.96.0.10\n", exact: true},
		{name: "quoted separator", pod: "box", argv: []string{"sh", "-c", "echo 'a; b' && echo \"c && d\""}, wantExact: "a; b\nc && d\n", exact: true},
		{name: "exit code", pod: "box", argv: []string{"sh", "-c", "exit 3"}, wantCode: 3, exact: true},
		{name: "syntax error", pod: "box", argv: []string{"sh", "-c", "echo a &&"}, wantCode: 2, wantStderr: []string{"sh: syntax error"}},
		{name: "script on stdin", pod: "box", argv: []string{"sh"}, stdin: "echo one; hostname", wantExact: "one\nbox\n", exact: true},
		{name: "stdin", pod: "box", argv: []string{"wc", "-l"}, stdin: "a\nb\nc\n", wantStdout: []string{"3"}},
		{name: "no such container", pod: "box", argv: []string{"true"}, wantCode: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctr := "main"
			if tt.pod == "web" {
				ctr = "nginx"
			}
			if tt.name == "no such container" {
				ctr = "nope"
			}
			res := Exec(c, ContainerRef{"default", tt.pod, ctr}, tt.argv, tt.stdin)
			assert.Equal(t, tt.wantCode, res.Code, "stdout %q stderr %q", res.Stdout, res.Stderr)
			for _, w := range tt.wantStdout {
				assert.Contains(t, res.Stdout, w)
			}
			for _, w := range tt.wantStderr {
				assert.Contains(t, res.Stderr, w)
			}
			if tt.exact {
				assert.Equal(t, tt.wantExact, res.Stdout)
			}
		})
	}
}

// kubectl cp POD:PATH reads `tar cf - PATH` from the container.
func TestContainerTar(t *testing.T) {
	c := boot(t)
	_, err := c.Apply("world.yaml", []byte(containerWorld))
	require.NoError(t, err)
	require.True(t, c.WaitFor(func() bool {
		return Exec(c, ContainerRef{"default", "web", "nginx"}, []string{"true"}, "").Code == 0
	}, time.Minute))
	res := Exec(c, ContainerRef{"default", "web", "nginx"}, []string{"tar", "cf", "-", "/usr/share/nginx/html"}, "")
	require.Equal(t, 0, res.Code, res.Stderr)
	assert.Equal(t, "tar: Removing leading `/' from member names\n", res.Stderr)
	tr := tar.NewReader(strings.NewReader(res.Stdout))
	var names []string
	var page string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		names = append(names, h.Name)
		if h.Name == "usr/share/nginx/html/index.html" {
			b, _ := io.ReadAll(tr)
			page = string(b)
		}
	}
	assert.Equal(t, []string{"usr/share/nginx/html/", "usr/share/nginx/html/index.html"}, names)
	assert.Contains(t, page, "Welcome to nginx!")

	res = Exec(c, ContainerRef{"default", "web", "nginx"}, []string{"tar", "cf", "-", "/nope"}, "")
	assert.Equal(t, 2, res.Code)
	assert.Contains(t, res.Stderr, "tar: nope: Cannot stat: No such file or directory")

	res = Exec(c, ContainerRef{"default", "web", "nginx"}, []string{"tar", "xf", "-"}, "x")
	assert.Equal(t, 2, res.Code, "copying into a container is refused, not ignored")
}

// ping reaches a pod's address (its kernel answers), not a ClusterIP.
func TestContainerPing(t *testing.T) {
	c := boot(t)
	_, err := c.Apply("world.yaml", []byte(containerWorld))
	require.NoError(t, err)
	var ip string
	require.True(t, c.WaitFor(func() bool {
		p, err := client.Get[*api.Pod](c.Admin, "default", "web")
		if err != nil {
			return false
		}
		ip = p.Status.PodIP
		return ip != "" && p.Status.Phase == api.PodRunning && Exec(c, ContainerRef{"default", "box", "main"}, []string{"true"}, "").Code == 0
	}, time.Minute))
	res := Exec(c, ContainerRef{"default", "box", "main"}, []string{"ping", "-c", "2", ip}, "")
	assert.Equal(t, 0, res.Code, res.Stdout+res.Stderr)
	assert.Contains(t, res.Stdout, "PING "+ip+" ("+ip+"): 56 data bytes\n64 bytes from "+ip+": seq=0 ttl=6")
	assert.Contains(t, res.Stdout, "2 packets transmitted, 2 packets received, 0% packet loss\nround-trip min/avg/max = ")
	res = Exec(c, ContainerRef{"default", "web", "nginx"}, []string{"ping", ip}, "")
	assert.Equal(t, 127, res.Code, "Debian's nginx image has no ping: %s%s", res.Stdout, res.Stderr)
}

// A file written under a claim's mount survives the pod: a new pod on the
// same claim (on the volume's node) reads it back.
func TestClaimFilesSurviveThePod(t *testing.T) {
	c := boot(t)
	pod := `apiVersion: v1
kind: Pod
metadata: {name: writer}
spec:
  containers:
  - {name: main, image: "busybox:1.37", command: [sleep, "3600"], volumeMounts: [{name: data, mountPath: /data}]}
  volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]
`
	_, err := c.Apply("world.yaml", []byte(`apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
`+pod))
	require.NoError(t, err)
	ref := ContainerRef{"default", "writer", "main"}
	require.True(t, c.WaitFor(func() bool { return Exec(c, ref, []string{"true"}, "").Code == 0 }, 2*time.Minute))
	archive := func(name, text string) string {
		var buf strings.Builder
		tw := tar.NewWriter(&buf)
		require.NoError(t, tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(text))}))
		_, err := tw.Write([]byte(text))
		require.NoError(t, err)
		require.NoError(t, tw.Close())
		return buf.String()
	}
	// kubectl cp note writer:/data/note runs tar xmf - -C /data.
	res := Exec(c, ref, []string{"tar", "xmf", "-", "-C", "/data"}, archive("note", "kept\n"))
	require.Equal(t, 0, res.Code, res.Stderr)
	res = Exec(c, ref, []string{"tar", "xmf", "-", "-C", "/tmp"}, archive("note", "lost\n"))
	assert.Equal(t, 2, res.Code, "outside a claim nothing can be written")
	res = Exec(c, ref, []string{"cat", "/data/note"}, "")
	require.Equal(t, 0, res.Code, res.Stderr)
	assert.Equal(t, "kept\n", res.Stdout, "a later exec in the same container sees it")
	_, err = c.Admin.Delete("pods", "default", "writer", client.DeleteOptions{})
	require.NoError(t, err)
	require.True(t, c.WaitFor(func() bool {
		_, err := client.Get[*api.Pod](c.Admin, "default", "writer")
		return err != nil
	}, 2*time.Minute))
	_, err = c.Apply("again.yaml", []byte(pod))
	require.NoError(t, err)
	require.True(t, c.WaitFor(func() bool { return Exec(c, ref, []string{"true"}, "").Code == 0 }, 2*time.Minute))
	res = Exec(c, ref, []string{"cat", "/data/note"}, "")
	assert.Equal(t, 0, res.Code, res.Stderr)
	assert.Equal(t, "kept\n", res.Stdout)
	res = Exec(c, ref, []string{"cat", "/tmp/note"}, "")
	assert.NotEqual(t, 0, res.Code, "outside the claim nothing stays")
}
