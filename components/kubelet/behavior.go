package kubelet

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// AnnotationBehavior is the simulator extension that says how a pod's
// containers behave: no real process runs, so the manifest tells the
// kubelet when a container becomes ready, when it exits and with which
// code, how long it takes to stop on SIGTERM and what it prints. Real
// Kubernetes ignores the annotation.
const AnnotationBehavior = "kubesim.io/behavior"

// Behavior is how one simulated container behaves. The zero value is a
// well-behaved server: it starts at once, is ready at once (or when its
// readiness probe's initialDelaySeconds has passed), runs until stopped and
// exits 0 on SIGTERM without delay.
type Behavior struct {
	// StartDelay is how long the runtime takes between creating the
	// container (event Created) and starting it (event Started).
	StartDelay time.Duration
	// ReadyAfter is how long after its start the container reports ready,
	// as if its readiness probe first succeeded then.
	ReadyAfter time.Duration
	// NeverReady keeps the container unready for its whole life (a
	// readiness probe that always fails).
	NeverReady bool
	// Exits says the container's main process ends on its own, ExitAfter
	// after the start, with ExitCode: 0 is a completion, anything else a
	// crash.
	Exits     bool
	ExitAfter time.Duration
	ExitCode  int32
	// UnhealthyAfter makes the container stop answering its liveness
	// probe this long after its start: the kubelet's probes fail
	// (events Unhealthy), and after failureThreshold of them it kills and
	// restarts the container. Without a livenessProbe nothing notices.
	Unhealthy      bool
	UnhealthyAfter time.Duration
	// StopDelay is how long the process takes to exit after SIGTERM. When
	// it exceeds the grace period the kubelet sends SIGKILL (exit code 137).
	StopDelay time.Duration
	// Logs are the lines the container prints to stdout when it starts.
	Logs []string
}

// behaviorFields are the keys a container's behaviour may have.
var behaviorFields = []string{"exitAfter", "exitCode", "logs", "neverReady", "readyAfter", "startDelay", "stopDelay", "unhealthyAfter"}

// ParseBehavior reads the kubesim.io/behavior annotation of a pod: a JSON or
// YAML mapping from container name to that container's behaviour, e.g.
//
//	kubesim.io/behavior: |
//	  web: {readyAfter: 5s, logs: ["listening on :8080"]}
//	  worker: {exitAfter: 30s, exitCode: 1}
//
// Durations are Go durations ("1m30s") or numbers of seconds. It returns
// nil and no error when the annotation is absent. Errors name the
// annotation, the container and the field, so that kube-apiserver can
// reject a bad manifest at admission.
func ParseBehavior(annotations map[string]string) (map[string]Behavior, error) {
	raw, ok := annotations[AnnotationBehavior]
	if !ok {
		return nil, nil
	}
	var doc map[string]map[string]any
	if err := yaml.Unmarshal([]byte(raw), &doc); err != nil {
		return nil, fmt.Errorf("annotation %s: must map container names to behaviours (JSON or YAML): %v", AnnotationBehavior, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	out := make(map[string]Behavior, len(doc))
	names := make([]string, 0, len(doc))
	for name := range doc {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		b, err := parseOne(doc[name])
		if err != nil {
			return nil, fmt.Errorf("annotation %s: container %q: %w", AnnotationBehavior, name, err)
		}
		out[name] = b
	}
	return out, nil
}

// CheckBehavior parses a pod's behaviour annotation and also rejects
// behaviours for containers the pod does not have.
func CheckBehavior(annotations map[string]string, containers []string) error {
	b, err := ParseBehavior(annotations)
	if err != nil {
		return err
	}
	known := make(map[string]bool, len(containers))
	for _, c := range containers {
		known[c] = true
	}
	names := make([]string, 0, len(b))
	for name := range b {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !known[name] {
			return fmt.Errorf("annotation %s: container %q: no such container in the pod (containers: %s)", AnnotationBehavior, name, strings.Join(containers, ", "))
		}
	}
	return nil
}

func parseOne(fields map[string]any) (Behavior, error) {
	var b Behavior
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	hasReady := false
	for _, k := range keys {
		v := fields[k]
		var err error
		switch k {
		case "startDelay":
			b.StartDelay, err = durationOf(v)
		case "readyAfter":
			b.ReadyAfter, err = durationOf(v)
			hasReady = true
		case "neverReady":
			b.NeverReady, err = boolOf(v)
		case "exitAfter":
			b.ExitAfter, err = durationOf(v)
			b.Exits = true
		case "exitCode":
			var n int64
			n, err = intOf(v)
			if err == nil && (n < 0 || n > 255) {
				err = fmt.Errorf("must be between 0 and 255, got %d", n)
			}
			b.ExitCode = int32(n)
			b.Exits = true
		case "stopDelay":
			b.StopDelay, err = durationOf(v)
		case "unhealthyAfter":
			b.UnhealthyAfter, err = durationOf(v)
			b.Unhealthy = true
		case "logs":
			b.Logs, err = linesOf(v)
		default:
			return b, fmt.Errorf("unknown field %q (known fields: %s)", k, strings.Join(behaviorFields, ", "))
		}
		if err != nil {
			return b, fmt.Errorf("field %q: %w", k, err)
		}
	}
	if b.NeverReady && hasReady {
		return b, fmt.Errorf("field %q: cannot be combined with neverReady", "readyAfter")
	}
	return b, nil
}

func durationOf(v any) (time.Duration, error) {
	var d time.Duration
	switch x := v.(type) {
	case string:
		var err error
		if d, err = time.ParseDuration(x); err != nil {
			return 0, fmt.Errorf("invalid duration %q (want e.g. \"5s\", \"1m30s\" or a number of seconds)", x)
		}
	case int:
		d = time.Duration(x) * time.Second
	case int64:
		d = time.Duration(x) * time.Second
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > 1e9 {
			return 0, fmt.Errorf("invalid duration %v", x)
		}
		d = time.Duration(x * float64(time.Second))
	default:
		return 0, fmt.Errorf("invalid duration %v (want e.g. \"5s\" or a number of seconds)", v)
	}
	if d < 0 {
		return 0, fmt.Errorf("must not be negative, got %s", d)
	}
	return d, nil
}

func intOf(v any) (int64, error) {
	switch x := v.(type) {
	case int:
		return int64(x), nil
	case int64:
		return x, nil
	case float64:
		if x == math.Trunc(x) {
			return int64(x), nil
		}
	}
	return 0, fmt.Errorf("must be an integer, got %v", v)
}

func boolOf(v any) (bool, error) {
	if b, ok := v.(bool); ok {
		return b, nil
	}
	return false, fmt.Errorf("must be true or false, got %v", v)
}

func linesOf(v any) ([]string, error) {
	switch x := v.(type) {
	case string:
		return strings.Split(strings.TrimRight(x, "\n"), "\n"), nil
	case []any:
		out := make([]string, 0, len(x))
		for i, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("item %d must be a string, got %v", i, e)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("must be a list of strings, got %v", v)
}
