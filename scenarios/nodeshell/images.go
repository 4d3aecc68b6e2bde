package nodeshell

import (
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
)

// Image is what a container's shell needs to know of its image: which
// programs it has, its shell's words for a missing one, its files, its
// main process, and what its server answers.
type Image struct {
	// Name is the repository ("nginx", "busybox", "curlimages/curl").
	Name string
	// Shell is the shell's flavour: "ash" (busybox), "dash" (Debian's sh)
	// or "" (none: distroless, pause).
	Shell string
	// Binaries are the programs on $PATH.
	Binaries []string
	// Workdir is the image's working directory ("/" by default).
	Workdir string
	// Entrypoint is the main process when the pod names no command.
	Entrypoint []string
	// Port is the port its server listens on (0: none).
	Port uint16
	// HTTP is its server's answer, if it serves HTTP.
	HTTP *HTTPAnswer
	// FileSet are files the image carries, by path.
	FileSet map[string]string
}

// HTTPAnswer is an HTTP server's reply.
type HTTPAnswer struct {
	Status      int
	ContentType string
	Server      string // the Server header ("nginx/1.27.3")
	Body        string
}

// Has reports whether the image has a program.
func (im Image) Has(name string) bool {
	for _, b := range im.Binaries {
		if b == name {
			return true
		}
	}
	return false
}

// WorkDir is the directory commands start in.
func (im Image) WorkDir() string {
	if im.Workdir == "" {
		return "/"
	}
	return im.Workdir
}

// Path is the image's PATH.
func (im Image) Path() string {
	return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
}

// Prompt is its interactive shell's prompt for root.
func (im Image) Prompt() string {
	if im.Shell == "dash" {
		return "# "
	}
	return "/ # "
}

// NotFound is what the image's shell prints for a program it lacks.
func (im Image) NotFound(name string) string {
	if im.Shell == "dash" {
		return "sh: 1: " + name + ": not found\n"
	}
	return "sh: " + name + ": not found\n"
}

// Files are the image's files.
func (im Image) Files() map[string]string { return im.FileSet }

// Process is the container's main process as ps shows it.
func (im Image) Process(command, args []string) string {
	argv := command
	if len(argv) == 0 {
		argv = im.Entrypoint
	}
	argv = append(append([]string(nil), argv...), args...)
	if im.Name == "nginx" && len(command) == 0 {
		return "nginx: master process nginx -g daemon off;"
	}
	if len(argv) == 0 {
		return "sh"
	}
	return strings.Join(argv, " ")
}

// Answer is what the image's server says to method path on port, if it
// listens there.
func (im Image) Answer(pod *api.Pod, c api.Container, port uint16, method, reqPath string) (HTTPAnswer, bool) {
	if im.HTTP == nil || im.Port != port {
		return HTTPAnswer{}, false
	}
	a := *im.HTTP
	if reqPath != "/" && reqPath != "/index.html" && im.Name == "nginx" {
		a = HTTPAnswer{Status: 404, ContentType: "text/html", Server: a.Server, Body: nginx404}
	}
	return a, true
}

// busybox is the set of applets the busybox images link.
var busybox = []string{"sh", "ash", "ls", "cat", "env", "printenv", "hostname", "ps", "ping", "nc", "wget", "nslookup",
	"grep", "head", "tail", "wc", "sed", "echo", "tar", "true", "false", "sleep", "id", "whoami", "pwd", "date"}

// debian is what a slim Debian image has (nginx's base).
var debian = []string{"sh", "dash", "bash", "ls", "cat", "env", "printenv", "hostname", "grep", "head", "tail", "wc", "sed",
	"echo", "tar", "true", "false", "sleep", "id", "whoami", "pwd", "date"}

const nginxIndex = `<!DOCTYPE html>
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

const nginx404 = `<html>
<head><title>404 Not Found</title></head>
<body>
<center><h1>404 Not Found</h1></center>
<hr><center>nginx/1.27.3</center>
</body>
</html>
`

// catalog is the images kubesim knows. An image not in it is taken for a
// busybox-based one.
var catalog = map[string]Image{
	"busybox": {Shell: "ash", Binaries: busybox, Entrypoint: []string{"sh"}},
	"alpine":  {Shell: "ash", Binaries: busybox, Entrypoint: []string{"/bin/sh"}},
	"curlimages/curl": {Shell: "ash", Binaries: append([]string{"curl"}, busybox...), Workdir: "/home/curl_user",
		Entrypoint: []string{"/entrypoint.sh"}},
	"nicolaka/netshoot": {Shell: "ash", Binaries: append([]string{"curl", "bash", "host", "dig"}, busybox...), Workdir: "/root",
		Entrypoint: []string{"zsh"}},
	"nginx": {Shell: "dash", Binaries: append([]string{"curl", "nginx"}, debian...), Port: 80,
		Entrypoint: []string{"/docker-entrypoint.sh", "nginx", "-g", "daemon off;"},
		HTTP:       &HTTPAnswer{Status: 200, ContentType: "text/html", Server: "nginx/1.27.3", Body: nginxIndex},
		FileSet: map[string]string{
			"/usr/share/nginx/html/index.html": nginxIndex,
			"/etc/nginx/conf.d/default.conf":   "server {\n    listen       80;\n    listen  [::]:80;\n    server_name  localhost;\n\n    location / {\n        root   /usr/share/nginx/html;\n        index  index.html index.htm;\n    }\n}\n",
			"/etc/os-release":                  "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nID=debian\n",
		}},
	"registry.k8s.io/pause": {Entrypoint: []string{"/pause"}},
}

// LookupImage looks an image reference up ("nginx:1.27",
// "docker.io/library/busybox").
func LookupImage(ref string) Image { return imageOf(ref) }

func imageOf(ref string) Image {
	name := ref
	if i := strings.IndexByte(name, '@'); i >= 0 {
		name = name[:i]
	}
	if i := strings.LastIndexByte(name, ':'); i >= 0 && !strings.Contains(name[i:], "/") {
		name = name[:i]
	}
	name = strings.TrimPrefix(strings.TrimPrefix(name, "docker.io/"), "library/")
	im, ok := catalog[name]
	if !ok {
		im = catalog["busybox"]
	}
	im.Name = name
	if im.FileSet == nil {
		im.FileSet = map[string]string{}
	}
	return im
}

func secondsDuration(s int) time.Duration { return time.Duration(s) * time.Second }
