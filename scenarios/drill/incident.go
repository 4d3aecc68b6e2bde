package drill

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Incidents. A drill file of kind incident is a hands-on exercise in
// incident response: its steps break the cluster out of sight (the
// trainee sees only the symptom a user would report), its checks grade the
// cluster's state once the trainee says it is fixed, its hints are a
// ladder, and its solution is the diagnosis path and the fix — scripted
// steps that the project's tests run to prove the checks can pass, next to
// wrong fixes that must leave them failing.
//
//	kind: incident
//	name: coredns-scaled-to-zero
//	symptom: {en: "since {since}, no pod can resolve names", ko: ...}
//	steps: [...]            # the breakage
//	checks: [...]           # expectations, graded now
//	hints: [{en, ko}, ...]
//	solution:
//	  diagnosis: {en, ko}
//	  steps: [...]          # the fix
//	wrongFixes:
//	- name: restart the client pod
//	  steps: [...]

// KindIncident is the kind of an incident file.
const KindIncident = "incident"

// Solution is how an incident is diagnosed and fixed.
type Solution struct {
	Diagnosis Text   `yaml:"diagnosis"`
	Steps     []Step `yaml:"steps"`
	Line      int    `yaml:"-"`
}

// Fix is a plausible wrong fix: the tests require that it leaves the
// checks failing.
type Fix struct {
	Name  string `yaml:"name"`
	Steps []Step `yaml:"steps"`
	Line  int    `yaml:"-"`
}

// IsIncident reports whether the file is an incident.
func (dr *Drill) IsIncident() bool { return dr.Kind == KindIncident }

// stepLists returns every list of steps in the file.
func (dr *Drill) stepLists() [][]Step {
	out := [][]Step{dr.Steps}
	if dr.Solution != nil {
		out = append(out, dr.Solution.Steps)
	}
	for _, f := range dr.WrongFixes {
		out = append(out, f.Steps)
	}
	return out
}

// checkIncident checks what an incident needs, and that non-incidents do
// not use its fields.
func (dr *Drill) checkIncident(d *decoder, root *yaml.Node) {
	if !dr.IsIncident() {
		if dr.Symptom.En != "" || len(dr.Checks) > 0 || dr.Solution != nil || len(dr.WrongFixes) > 0 {
			d.fail(root, "kind", "symptom, checks, solution and wrongFixes belong to incidents: add kind: incident")
		}
		return
	}
	if dr.Symptom.En == "" {
		d.fail(root, "symptom", "required: what a user would report, e.g. \"pods in namespace shop stay Pending since {since}\"")
	}
	if len(dr.Checks) == 0 {
		d.fail(root, "checks", "required: the expectations that grade the fix")
	}
	if len(dr.Hints) == 0 {
		d.fail(root, "hints", "required: at least one hint")
	}
	if len(dr.Expect) > 0 {
		d.fail(root, "expect", "an incident is graded by its checks, not expect")
	}
	for i := range dr.Checks {
		dr.checkExpectation(d, &dr.Checks[i], fmt.Sprintf("checks[%d]", i))
	}
	if dr.Solution == nil || len(dr.Solution.Steps) == 0 {
		d.fail(root, "solution", "required: the diagnosis and the steps that fix it")
	} else {
		if dr.Solution.Diagnosis.En == "" {
			d.fail(&yaml.Node{Line: dr.Solution.Line, Column: 1}, "solution.diagnosis", "required: how to find the cause")
		}
		dr.checkSteps(d, "solution.steps", dr.Solution.Steps)
	}
	if len(dr.WrongFixes) == 0 {
		d.fail(root, "wrongFixes", "required: at least one plausible wrong fix (restarting the pods, scaling up) that must leave the checks failing")
	}
	for i, f := range dr.WrongFixes {
		if f.Name == "" {
			d.fail(&yaml.Node{Line: f.Line, Column: 1}, fmt.Sprintf("wrongFixes[%d].name", i), "required")
		}
		dr.checkSteps(d, fmt.Sprintf("wrongFixes[%d].steps", i), f.Steps)
	}
}

// checkSteps checks another list of steps as the drill's own are checked,
// with its own path in the errors.
func (dr *Drill) checkSteps(d *decoder, path string, steps []Step) {
	shadow := &Drill{Name: dr.Name, File: dr.File, Dir: dr.Dir, readFile: dr.readFile, Cluster: dr.Cluster, Steps: steps}
	sd := &decoder{file: d.file}
	shadow.check(sd, &yaml.Node{Line: 1, Column: 1})
	for _, e := range sd.errs {
		switch {
		case strings.HasPrefix(e.Path, "steps["):
			e.Path = path + strings.TrimPrefix(e.Path, "steps")
		case e.File != "":
			continue // about the cluster or the name: reported once, for the file
		}
		d.errs = append(d.errs, e)
	}
}
