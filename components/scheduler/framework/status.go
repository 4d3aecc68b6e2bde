package framework

import (
	"errors"
	"strings"
)

// Code is the outcome a plugin reports at an extension point.
type Code int

// Status codes, with the meanings of the real framework:
//
//   - Success: the plugin is happy (a nil *Status means the same).
//   - Error: something unexpected happened inside the plugin; the whole
//     scheduling attempt fails with an error, not with a FitError.
//   - Unschedulable: the pod does not fit now, but could after cluster
//     changes (for example after preemption frees resources).
//   - UnschedulableAndUnresolvable: the pod cannot fit this node whatever
//     happens to the pods on it (a node selector mismatch, an untolerated
//     taint); preemption would not help.
//   - Skip: returned from PreFilter or PreScore, it means "nothing to do for
//     this pod": the framework then skips the coupled Filter or Score of
//     the same plugin for the whole cycle. From Bind it means "not mine, try
//     the next binder".
const (
	Success Code = iota
	Error
	Unschedulable
	UnschedulableAndUnresolvable
	Skip
)

var codeNames = [...]string{"Success", "Error", "Unschedulable", "UnschedulableAndUnresolvable", "Skip"}

// String returns the name of the code as the real framework prints it.
func (c Code) String() string {
	if c >= 0 && int(c) < len(codeNames) {
		return codeNames[c]
	}
	return "Unknown"
}

// Status is the result of running one plugin. A nil *Status is Success.
//
// Statuses are created fresh for every failure: the framework records which
// plugin produced a failing status (SetPlugin), so a plugin must never
// return a shared *Status value.
type Status struct {
	code    Code
	reasons []string
	err     error
	plugin  string
}

// NewStatus makes a status with the given code and reasons. Reasons are the
// short, human strings that FailedScheduling messages aggregate, such as
// "Insufficient cpu".
func NewStatus(code Code, reasons ...string) *Status {
	s := &Status{code: code, reasons: reasons}
	if code == Error && len(reasons) > 0 {
		s.err = errors.New(s.Message())
	}
	return s
}

// AsStatus wraps an unexpected error into an Error status. A nil error gives
// a nil (success) status.
func AsStatus(err error) *Status {
	if err == nil {
		return nil
	}
	return &Status{code: Error, reasons: []string{err.Error()}, err: err}
}

// Code returns the code; Success for a nil status.
func (s *Status) Code() Code {
	if s == nil {
		return Success
	}
	return s.code
}

// Reasons returns the reasons of the status.
func (s *Status) Reasons() []string {
	if s == nil {
		return nil
	}
	if s.err != nil && len(s.reasons) == 0 {
		return []string{s.err.Error()}
	}
	return s.reasons
}

// Message joins the reasons with ", ", as the real framework does.
func (s *Status) Message() string {
	if s == nil {
		return ""
	}
	return strings.Join(s.Reasons(), ", ")
}

// Plugin returns the name of the plugin that produced the status, as set by
// the framework.
func (s *Status) Plugin() string {
	if s == nil {
		return ""
	}
	return s.plugin
}

// SetPlugin records which plugin produced the status.
func (s *Status) SetPlugin(name string) {
	if s != nil {
		s.plugin = name
	}
}

// WithPlugin sets the plugin and returns the status, for chaining.
func (s *Status) WithPlugin(name string) *Status {
	s.SetPlugin(name)
	return s
}

// IsSuccess reports whether the status is nil or Success.
func (s *Status) IsSuccess() bool { return s.Code() == Success }

// IsSkip reports whether the status is Skip.
func (s *Status) IsSkip() bool { return s.Code() == Skip }

// IsRejected reports whether the pod was rejected: Unschedulable or
// UnschedulableAndUnresolvable.
func (s *Status) IsRejected() bool {
	c := s.Code()
	return c == Unschedulable || c == UnschedulableAndUnresolvable
}

// AsError returns nil for Success and Skip, the wrapped error for Error
// statuses, and an error carrying the message otherwise.
func (s *Status) AsError() error {
	if s.IsSuccess() || s.IsSkip() {
		return nil
	}
	if s.err != nil {
		return s.err
	}
	return errors.New(s.Message())
}

// Equal compares code, reasons and plugin (not the wrapped error's
// identity), which is what tests want.
func (s *Status) Equal(o *Status) bool {
	if s == nil || o == nil {
		return s.IsSuccess() && o.IsSuccess()
	}
	if s.code != o.code || s.plugin != o.plugin || len(s.Reasons()) != len(o.Reasons()) {
		return false
	}
	for i, r := range s.Reasons() {
		if o.Reasons()[i] != r {
			return false
		}
	}
	return true
}

// String renders "Code: message" for logs and test failures.
func (s *Status) String() string {
	if s == nil {
		return "Success"
	}
	if msg := s.Message(); msg != "" {
		return s.code.String() + ": " + msg
	}
	return s.code.String()
}
