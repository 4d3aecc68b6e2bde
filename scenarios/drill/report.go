package drill

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// WriteReport writes the graded result as text: every step and every
// expectation with pass or fail and what was seen, then the trace's tail
// when something failed.
func WriteReport(w io.Writer, r *Result) error {
	status := "PASSED"
	if !r.Passed {
		status = "FAILED"
	}
	fmt.Fprintf(w, "drill %s (%s, seed %d): %s\n", r.Drill, r.File, r.Seed, status)
	for _, s := range r.Steps {
		mark := "ok  "
		if !s.OK {
			mark = "FAIL"
		}
		name := s.Name
		if name == "" {
			name = s.Action
		}
		fmt.Fprintf(w, "  %s step %d %s (line %d, at %s)", mark, s.Index+1, name, s.Line, s.At)
		if s.Error != "" {
			fmt.Fprintf(w, ": %s", s.Error)
		}
		fmt.Fprintln(w)
		for _, g := range s.Expect {
			writeGrade(w, "    ", g)
		}
	}
	for _, g := range r.Expectations {
		writeGrade(w, "  ", g)
	}
	if !r.Passed && len(r.Trace) > 0 {
		fmt.Fprintln(w, "  last trace lines:")
		for _, rec := range r.Trace {
			fmt.Fprintln(w, "    "+rec.Text())
		}
	}
	return nil
}

func writeGrade(w io.Writer, indent string, g Grade) {
	mark := "PASS"
	if !g.Passed {
		mark = "FAIL"
	}
	fmt.Fprintf(w, "%s%s %s (line %d, at %s): want %s; saw %s\n", indent, mark, g.Name, g.Line, g.At, g.Want, strings.TrimSpace(g.Saw))
}

// WriteJSON writes the graded result as one JSON document.
func WriteJSON(w io.Writer, r *Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
