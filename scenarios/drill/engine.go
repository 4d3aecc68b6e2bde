package drill

import (
	"fmt"
	"strings"
	"time"

	"github.com/kubesim/kubesim/sim/cluster"
)

// Steps and checks on a cluster that is not a drill's own run: an
// incident's breakage, a trainee's scripted fix, a check graded on demand.

// Apply runs steps on a running cluster as a drill runs its own, and
// returns what each did. Step times (at:) count from now.
func Apply(c *cluster.Cluster, dr *Drill, steps []Step, lang string) []StepResult {
	r := &runner{snapshots: map[string][]byte{}, dr: dr, opts: Options{Lang: lang}, c: c, res: &Result{Passed: true}, t0: c.K.Now()}
	for i := range steps {
		r.step(i, &steps[i])
	}
	return r.res.Steps
}

// CheckNow grades expectations against the cluster as it is now, without
// waiting (their within is ignored): what `kubesim incident check` shows.
func CheckNow(c *cluster.Cluster, dr *Drill, exps []Expectation) []Grade {
	r := &runner{dr: dr, c: c, res: &Result{Passed: true}, t0: c.K.Now()}
	out := make([]Grade, 0, len(exps))
	for i := range exps {
		e := &exps[i]
		held, saw := r.check(e)
		g := newGrade(e, fmt.Sprintf("checks[%d]", i), r.elapsed())
		g.Passed = held
		g.see(saw)
		out = append(out, g)
	}
	return out
}

// ClusterConfig is the cluster the file describes, for a seed.
func (dr *Drill) ClusterConfig(seed uint64) cluster.Config { return dr.clusterConfig(seed) }

// StepCommand is a step as the command a person would type for it.
func StepCommand(s *Step) string {
	action, _ := s.action()
	ns := ""
	if s.Namespace != "" && s.Namespace != "default" {
		ns = " -n " + s.Namespace
	}
	var cmd string
	switch action {
	case "apply":
		cmd = "kubectl apply -f - <<EOF\n" + strings.TrimRight(s.Apply.Text, "\n") + "\nEOF"
	case "applyFile":
		cmd = "kubectl apply -f " + s.ApplyFile
	case "delete":
		if s.Selector != "" {
			cmd = fmt.Sprintf("kubectl delete %s%s -l %s", s.Delete, ns, s.Selector)
		} else {
			cmd = fmt.Sprintf("kubectl delete %s%s", s.Delete, ns)
		}
	case "scale":
		cmd = fmt.Sprintf("kubectl scale %s%s --replicas=%d", s.Scale.Target, ns, s.Scale.Replicas)
	case "patch":
		t := ""
		if s.Patch.Type != "" {
			t = " --type " + s.Patch.Type
		}
		cmd = fmt.Sprintf("kubectl patch %s%s%s -p '%s'", s.Patch.Target, ns, t, s.Patch.Patch)
	case "cordon":
		cmd = "kubectl cordon " + s.Cordon
	case "uncordon":
		cmd = "kubectl uncordon " + s.Uncordon
	case "drain":
		cmd = "kubectl drain " + s.Drain + " --ignore-daemonsets --delete-emptydir-data"
	case "taint":
		t := s.Taint.Taint
		if s.Taint.Remove {
			t += "-"
		}
		cmd = fmt.Sprintf("kubectl taint nodes %s %s", s.Taint.Node, t)
	case "exec":
		cmd = fmt.Sprintf("kubectl exec %s -- %s", s.Exec.Pod, s.Exec.Command)
	case "shell":
		cmd = fmt.Sprintf("ssh %s -- %s", s.Shell.Node, s.Shell.Run)
	case "advance":
		cmd = fmt.Sprintf("(wait %s)", time.Duration(*s.Advance))
	case "wait":
		cmd = "(wait until " + describeExpectation(s.Wait).En + ")"
	default:
		cmd = action
	}
	if s.Name.En != "" {
		return s.Name.En + ":\n     " + strings.ReplaceAll(cmd, "\n", "\n     ")
	}
	return cmd
}
