// Package images is kubesim's catalog of well-known container images: what
// each image's default command does, so that a simulated container behaves
// like the image it names. No process runs in kubesim; the catalog says, for
// an image and a container's command and args, what a real container would
// do:
//
//   - which ports the process listens on (Process.Ports), so that a
//     connection gets a SYN-ACK or a reset whatever the pod's
//     containerPorts say — in Kubernetes containerPort is informational;
//   - what an HTTP request gets back (Process.Serve): nginx's welcome page,
//     httpd's "It works!", the Cilium star-wars deathstar's "Ship landed",
//     agnhost's hostname, http-echo's -text;
//   - the lines it prints when it starts and per request (StartupLogs,
//     AccessLog), in the image's own formats (nginx's combined log format,
//     Redis' banner, ...);
//   - whether and when it exits, and with which code (busybox's sh without
//     a terminal exits 0 at once; "sleep 3600" exits 0 after an hour;
//     "sh -c 'exit 1'" exits 1; pause runs forever);
//   - which shell and which programs the image has on its PATH (Shell,
//     Binaries): distroless, pause and coredns have no shell, alpine has
//     wget but no curl;
//   - what it costs (Process.Cost): an idle CPU baseline, the CPU time of
//     each HTTP request it answers, a memory working set — the kubelet's
//     resource metrics are computed from them (load.go explains the
//     model); and whether it is a load generator, a shell loop of wget or
//     curl (Process.Loop, a RequestLoop the datapath plays out).
//
// Lookup normalises a reference as containerd does ("nginx",
// "nginx:1.27", "docker.io/library/nginx@sha256:...") and returns the
// image's entry; an image the catalog does not know gets a generic entry
// (Known false) that listens on the container's declared ports and answers
// HTTP with the pod's hostname, as the "hostname" demo images do. Callers
// say so to the trainee.
//
// # Where kubesim simplifies
//
//   - Commands are interpreted, not run: a shell script is read statement
//     by statement for what decides a container's life (exit N, sleep N,
//     echo, loops that never end, exec of a known server); another
//     statement is taken to succeed at once (or fails with the shell's
//     "not found" when the image lacks it). A main process the catalog
//     does not model runs until stopped. A client command (curl, wget) as
//     a container's command exits 0 at once without sending its request.
//   - Environment variables, config files and volumes do not change what
//     a server answers (an nginx with a mounted config still serves the
//     welcome page), except the few flags and variables named below.
//   - Resource use is a model, not a measurement: round figures per
//     program (70 ms of CPU per request for hpa-example's index.php), and
//     a load loop sends a request every 100 ms whatever its server's
//     load (an open loop).
//   - Versions are fixed per image (the catalog's version is printed in
//     headers and banners whatever the tag).
//
// The package is a pure function of its inputs: it reads no clock and no
// randomness; callers pass the virtual time and the pod's names.
package images
