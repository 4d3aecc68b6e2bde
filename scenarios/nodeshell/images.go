package nodeshell

import (
	"strings"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/images"
)

// Image is what a container's shell needs to know of its image: the
// catalog's entry (package images) — which programs it has, its shell —
// and the few files kubesim lays out for it.
type Image struct{ images.Image }

// LookupImage looks an image reference up in the catalog ("nginx:1.27",
// "docker.io/library/busybox"). An image the catalog does not know has
// every program (Has is true) and a busybox shell.
func LookupImage(ref string) Image { return Image{images.Lookup(ref)} }

func imageOf(ref string) Image { return LookupImage(ref) }

// HasShell reports whether the image has a shell at all (distroless,
// pause and coredns have none).
func (im Image) HasShell() bool { return !im.Known || im.Shell != "" }

// debian tells Debian's dash from busybox's ash, which word errors
// differently.
func (im Image) debian() bool { return im.Base == "debian" || im.Base == "ubuntu" }

// Prompt is its interactive shell's prompt for root.
func (im Image) Prompt() string {
	if im.debian() {
		return "# "
	}
	return "/ # "
}

// NotFound is what the image's shell prints for a program it lacks, in a
// `sh -c` line.
func (im Image) NotFound(name string) string {
	if im.debian() {
		return "sh: 1: " + name + ": not found\n"
	}
	return "sh: " + name + ": not found\n"
}

// Files are files the image carries that a trainee looks for.
func (im Image) Files() map[string]string {
	switch im.Name {
	case "nginx":
		return map[string]string{
			"/etc/nginx/conf.d/default.conf":   "server {\n    listen       80;\n    listen  [::]:80;\n    server_name  localhost;\n\n    location / {\n        root   /usr/share/nginx/html;\n        index  index.html index.htm;\n    }\n}\n",
			"/usr/share/nginx/html/index.html": images.OfContainer(&api.Container{Image: im.Ref}).Serve(images.Env{}, images.Request{Method: "GET", Path: "/", Port: 80}).Body,
		}
	}
	return nil
}

// process is the container's main process as ps shows it.
func process(c api.Container) string {
	p := images.OfContainer(&c)
	if p.Program == "nginx" {
		return "nginx: master process nginx -g daemon off;"
	}
	if len(p.Argv) == 0 {
		return "sh"
	}
	return strings.Join(p.Argv, " ")
}
