package images

import (
	"slices"
	"sort"
	"strings"
)

// Port is one socket a process listens on.
type Port struct {
	Port int32
	// Protocol is "TCP" or "UDP".
	Protocol string
}

// Image is one catalog entry: a well-known image and what its default
// command does.
type Image struct {
	// Ref is the normalised reference ("docker.io/library/nginx:1.27").
	Ref string
	// Repo is the reference without tag or digest ("docker.io/library/nginx").
	Repo string
	// Name is the catalog entry ("nginx"), "" for an unknown image.
	Name string
	// Known is false for an image the catalog does not know: its
	// container listens on the ports it declares.
	Known bool
	// Version is the software version the entry prints (Server headers,
	// banners).
	Version string
	// Entrypoint and Cmd are the image config's ENTRYPOINT and CMD: a
	// container's command replaces Entrypoint (and drops Cmd), its args
	// replace Cmd, as in Kubernetes.
	Entrypoint, Cmd []string
	// Ports are what the default command listens on.
	Ports []Port
	// Shell is the image's shell ("/bin/sh"), "" when it has none
	// (distroless, scratch, pause, coredns).
	Shell string
	// Binaries are the commands on the image's PATH, sorted.
	Binaries []string
	// Base is the distribution the image is built on ("debian",
	// "alpine", "scratch", "distroless").
	Base string
}

// Has reports whether a command is on the image's PATH (a path such as
// "/bin/sh" is looked up by its base name).
func (im Image) Has(cmd string) bool {
	if !im.Known {
		return true
	}
	if i := strings.LastIndexByte(cmd, '/'); i >= 0 {
		cmd = cmd[i+1:]
	}
	_, ok := slices.BinarySearch(im.Binaries, cmd)
	return ok
}

// Normalize expands a reference as containerd does: a registry (docker.io
// by default), "library/" for official Docker Hub images, and the tag
// "latest" when none is given. A digest reference keeps its digest. repo
// is the reference without tag or digest, tag the tag ("" with a digest
// and no tag).
func Normalize(ref string) (full, repo, tag string) {
	name, digest, hasDigest := strings.Cut(ref, "@")
	first, _, hasSlash := strings.Cut(name, "/")
	if !hasSlash || (!strings.ContainsAny(first, ".:") && first != "localhost") {
		if !hasSlash {
			name = "library/" + name
		}
		name = "docker.io/" + name
	}
	repo = name
	last := name[strings.LastIndex(name, "/")+1:]
	if i := strings.LastIndex(last, ":"); i >= 0 {
		repo = name[:len(name)-len(last)+i]
		tag = last[i+1:]
	} else if !hasDigest {
		name += ":latest"
		tag = "latest"
	}
	if hasDigest {
		return repo + "@" + digest, repo, tag
	}
	return name, repo, tag
}

// Lookup returns the catalog entry for an image reference; an unknown
// image gets a generic entry with Known false.
func Lookup(ref string) Image {
	full, repo, tag := Normalize(ref)
	im := Image{Ref: full, Repo: repo}
	e, ok := entryFor(repo, tag)
	if !ok {
		return im
	}
	im.Name, im.Known, im.Version = e.name, true, e.version
	im.Entrypoint, im.Cmd = e.entrypoint, e.cmd
	im.Ports = append([]Port(nil), e.ports...)
	im.Shell, im.Base = e.shell, e.base
	im.Binaries = append([]string(nil), e.binaries...)
	sort.Strings(im.Binaries)
	im.Binaries = slices.Compact(im.Binaries)
	return im
}

// entry is one image family of the catalog.
type entry struct {
	name       string
	repos      []string // normalised repositories without tag
	version    string
	entrypoint []string
	cmd        []string
	ports      []Port
	shell      string
	base       string
	binaries   []string
	// variant adjusts the entry for a tag ("nginx:1.27-alpine").
	variant func(e entry, tag string) entry
}

func tcp(ports ...int32) []Port {
	out := make([]Port, 0, len(ports))
	for _, p := range ports {
		out = append(out, Port{Port: p, Protocol: "TCP"})
	}
	return out
}

// busyboxApplets are the applets of busybox's default build that matter
// in a pod (the real build has about 400).
var busyboxApplets = []string{"[", "ash", "awk", "base64", "basename", "cat", "chmod", "chown", "cp", "cut", "date", "dd", "df",
	"dirname", "dmesg", "du", "echo", "env", "expr", "false", "find", "free", "grep", "gzip", "head", "hostname", "httpd",
	"id", "ifconfig", "ip", "kill", "less", "ln", "ls", "md5sum", "mkdir", "mount", "mv", "nc", "netstat", "nslookup",
	"ping", "printenv", "printf", "ps", "pwd", "readlink", "rm", "rmdir", "route", "sed", "seq", "sh", "sha256sum", "sleep",
	"sort", "stat", "tail", "tar", "tee", "telnet", "test", "timeout", "top", "touch", "tr", "traceroute", "true",
	"uname", "uniq", "uptime", "vi", "watch", "wc", "wget", "which", "whoami", "xargs", "yes"}

// debianBase are the commands of debian:bookworm-slim (coreutils, bash,
// dash, grep, sed, mawk, hostname, findutils; no ps, ping, ip or curl).
var debianBase = []string{"[", "awk", "base64", "basename", "bash", "cat", "chmod", "chown", "cp", "cut", "date", "dd", "df",
	"dirname", "du", "echo", "env", "expr", "false", "find", "grep", "gzip", "head", "hostname", "id", "kill", "ln", "ls",
	"md5sum", "mkdir", "mount", "mv", "printenv", "printf", "pwd", "readlink", "rm", "rmdir", "sed", "seq", "sh",
	"sha256sum", "sleep", "sort", "stat", "tail", "tar", "tee", "test", "timeout", "touch", "tr", "true", "uname", "uniq",
	"wc", "which", "whoami", "xargs", "yes"}

func with(base []string, more ...string) []string {
	return append(append([]string(nil), base...), more...)
}

var catalog = []entry{
	{
		name: "nginx", repos: []string{"docker.io/library/nginx"}, version: "1.27.3",
		entrypoint: []string{"/docker-entrypoint.sh"}, cmd: []string{"nginx", "-g", "daemon off;"},
		ports: tcp(80), shell: "/bin/sh", base: "debian",
		binaries: with(debianBase, "curl", "docker-entrypoint.sh", "envsubst", "nginx", "nginx-debug", "openssl"),
		variant: func(e entry, tag string) entry {
			if strings.Contains(tag, "alpine") {
				e.base = "alpine"
				e.binaries = with(busyboxApplets, "curl", "docker-entrypoint.sh", "envsubst", "nginx", "nginx-debug")
			}
			return e
		},
	},
	{
		name: "httpd", repos: []string{"docker.io/library/httpd"}, version: "2.4.62",
		cmd: []string{"httpd-foreground"}, ports: tcp(80), shell: "/bin/sh", base: "debian",
		binaries: with(debianBase, "apachectl", "htpasswd", "httpd", "httpd-foreground"),
	},
	{
		// registry.k8s.io/hpa-example: php:5-apache with the walkthrough's
		// index.php, which computes a million square roots and prints "OK!".
		name: "hpa-example", repos: []string{"registry.k8s.io/hpa-example", "k8s.gcr.io/hpa-example"}, version: "2.4.10",
		entrypoint: []string{"docker-php-entrypoint"}, cmd: []string{"apache2-foreground"}, ports: tcp(80), shell: "/bin/sh", base: "debian",
		binaries: with(debianBase, "apache2", "apache2-foreground", "apachectl", "docker-php-entrypoint", "php"),
	},
	{
		name: "metrics-server", repos: []string{"registry.k8s.io/metrics-server/metrics-server"}, version: "0.7.2",
		entrypoint: []string{"/metrics-server"}, ports: tcp(10250), base: "distroless", binaries: []string{"metrics-server"},
	},
	{
		name: "starwars", repos: []string{"docker.io/cilium/starwars", "quay.io/cilium/starwars"}, version: "2.1",
		entrypoint: []string{"/starwars"}, ports: tcp(80), base: "scratch",
		binaries: []string{"starwars"},
	},
	{
		name: "json-mock", repos: []string{"quay.io/cilium/json-mock", "docker.io/cilium/json-mock"}, version: "1.3.8",
		entrypoint: []string{"bash", "/run.sh"}, ports: tcp(80), shell: "/bin/sh", base: "debian",
		binaries: with(debianBase, "curl", "json-server", "node", "npm", "run.sh"),
	},
	{
		name: "netperf", repos: []string{"docker.io/tgraf/netperf"}, version: "2.7.0",
		entrypoint: []string{"/usr/bin/netserver"}, cmd: []string{"-D"}, ports: tcp(12865), shell: "/bin/sh", base: "debian",
		binaries: with(debianBase, "curl", "netperf", "netserver", "ping"),
	},
	{
		name: "agnhost", repos: []string{"registry.k8s.io/e2e-test-images/agnhost", "k8s.gcr.io/e2e-test-images/agnhost"}, version: "2.53",
		entrypoint: []string{"/agnhost"}, cmd: []string{"pause"}, shell: "/bin/sh", base: "alpine",
		binaries: with(busyboxApplets, "agnhost", "curl", "dig", "iperf", "nslookup"),
	},
	{
		name: "serve-hostname", repos: []string{"registry.k8s.io/serve_hostname", "k8s.gcr.io/serve_hostname"}, version: "1.4",
		entrypoint: []string{"/serve_hostname"}, ports: tcp(9376), base: "scratch",
		binaries: []string{"serve_hostname"},
	},
	{
		name: "http-echo", repos: []string{"docker.io/hashicorp/http-echo"}, version: "1.0.0",
		entrypoint: []string{"/http-echo"}, ports: tcp(5678), base: "scratch",
		binaries: []string{"http-echo"},
	},
	{
		name: "redis", repos: []string{"docker.io/library/redis"}, version: "7.4.1",
		entrypoint: []string{"docker-entrypoint.sh"}, cmd: []string{"redis-server"}, ports: tcp(6379), shell: "/bin/sh", base: "debian",
		binaries: with(debianBase, "docker-entrypoint.sh", "gosu", "redis-benchmark", "redis-check-aof", "redis-check-rdb", "redis-cli", "redis-sentinel", "redis-server"),
		variant: func(e entry, tag string) entry {
			if strings.Contains(tag, "alpine") {
				e.base = "alpine"
				e.binaries = with(busyboxApplets, "docker-entrypoint.sh", "redis-cli", "redis-sentinel", "redis-server")
			}
			return e
		},
	},
	{
		name: "perl", repos: []string{"docker.io/library/perl"}, version: "5.40.0",
		cmd: []string{"perl", "-de0"}, shell: "/bin/sh", base: "debian", binaries: with(debianBase, "cpan", "perl", "perldoc"),
	},
	{
		name: "busybox", repos: []string{"docker.io/library/busybox"}, version: "1.37.0",
		cmd: []string{"sh"}, shell: "/bin/sh", base: "busybox", binaries: with(busyboxApplets, "busybox"),
	},
	{
		name: "alpine", repos: []string{"docker.io/library/alpine"}, version: "3.21.0",
		cmd: []string{"/bin/sh"}, shell: "/bin/sh", base: "alpine", binaries: with(busyboxApplets, "apk", "busybox", "ssl_client"),
	},
	{
		name: "ubuntu", repos: []string{"docker.io/library/ubuntu"}, version: "24.04",
		cmd: []string{"/bin/bash"}, shell: "/bin/sh", base: "ubuntu", binaries: with(debianBase, "apt", "apt-get", "dpkg", "ps"),
	},
	{
		name: "debian", repos: []string{"docker.io/library/debian"}, version: "12",
		cmd: []string{"bash"}, shell: "/bin/sh", base: "debian", binaries: with(debianBase, "apt", "apt-get", "dpkg"),
	},
	{
		name: "curl", repos: []string{"docker.io/curlimages/curl", "quay.io/curl/curl"}, version: "8.11.1",
		entrypoint: []string{"/entrypoint.sh"}, cmd: []string{"curl"}, shell: "/bin/sh", base: "alpine",
		binaries: with(busyboxApplets, "curl", "entrypoint.sh"),
	},
	{
		name: "netshoot", repos: []string{"docker.io/nicolaka/netshoot"}, version: "0.13",
		cmd: []string{"zsh"}, shell: "/bin/sh", base: "alpine",
		binaries: with(busyboxApplets, "bash", "curl", "dig", "iperf3", "nmap", "nslookup", "tcpdump", "zsh"),
	},
	{
		name: "pause", repos: []string{"registry.k8s.io/pause", "k8s.gcr.io/pause"}, version: "3.10",
		entrypoint: []string{"/pause"}, base: "scratch", binaries: []string{"pause"},
	},
	{
		name: "coredns", repos: []string{"registry.k8s.io/coredns/coredns", "docker.io/coredns/coredns", "registry.k8s.io/coredns"}, version: "1.11.3",
		entrypoint: []string{"/coredns"},
		ports:      []Port{{53, "UDP"}, {53, "TCP"}, {8080, "TCP"}, {8181, "TCP"}, {9153, "TCP"}},
		base:       "distroless", binaries: []string{"coredns"},
	},
	{
		name: "kube-apiserver", repos: []string{"registry.k8s.io/kube-apiserver"}, version: "1.32.4",
		entrypoint: []string{"kube-apiserver"}, ports: tcp(6443), base: "distroless", binaries: []string{"kube-apiserver"},
	},
	{
		name: "etcd", repos: []string{"registry.k8s.io/etcd", "gcr.io/etcd-development/etcd", "quay.io/coreos/etcd"}, version: "3.5.16",
		entrypoint: []string{"etcd"}, ports: tcp(2379, 2380), base: "distroless",
		binaries: []string{"etcd", "etcdctl", "etcdutl"},
	},
	{
		name: "kube-scheduler", repos: []string{"registry.k8s.io/kube-scheduler"}, version: "1.32.4",
		entrypoint: []string{"kube-scheduler"}, ports: tcp(10259), base: "distroless", binaries: []string{"kube-scheduler"},
	},
	{
		name: "kube-controller-manager", repos: []string{"registry.k8s.io/kube-controller-manager"}, version: "1.32.4",
		entrypoint: []string{"kube-controller-manager"}, ports: tcp(10257), base: "distroless", binaries: []string{"kube-controller-manager"},
	},
	{
		name: "kube-proxy", repos: []string{"registry.k8s.io/kube-proxy"}, version: "1.32.4",
		entrypoint: []string{"/usr/local/bin/kube-proxy"}, ports: tcp(10249, 10256), shell: "/bin/sh", base: "debian",
		binaries: with(debianBase, "conntrack", "ip6tables", "iptables", "ipset", "kube-proxy", "nft"),
	},
	{
		name: "cilium", repos: []string{"quay.io/cilium/cilium"}, version: "1.16.4",
		entrypoint: []string{"cilium-agent"}, ports: tcp(4240, 9879, 9890, 9962, 9964), shell: "/bin/sh", base: "ubuntu",
		binaries: with(debianBase, "bpftool", "cilium", "cilium-agent", "cilium-dbg", "cilium-health", "clang", "hubble", "ip", "iptables"),
	},
	{
		name: "cilium-operator", repos: []string{"quay.io/cilium/operator-generic", "quay.io/cilium/operator"}, version: "1.16.4",
		entrypoint: []string{"cilium-operator-generic"}, ports: tcp(9234, 9963), base: "distroless",
		binaries: []string{"cilium-operator-generic"},
	},
}

var byRepo = func() map[string]int {
	m := map[string]int{}
	for i, e := range catalog {
		for _, r := range e.repos {
			m[r] = i
		}
	}
	return m
}()

func entryFor(repo, tag string) (entry, bool) {
	i, ok := byRepo[repo]
	if !ok {
		return entry{}, false
	}
	e := catalog[i]
	if e.variant != nil {
		e = e.variant(e, tag)
	}
	return e, true
}

// Names lists the catalog's entries, sorted.
func Names() []string {
	out := make([]string, 0, len(catalog))
	for _, e := range catalog {
		out = append(out, e.name)
	}
	sort.Strings(out)
	return out
}
