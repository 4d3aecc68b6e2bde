package frontend

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/kubesim/kubesim/components/apierrors"
)

// contentJSON is the Content-Type of every JSON answer; kubectl refuses
// JSON sent as anything else.
const contentJSON = "application/json"

func notFound() *apierrors.StatusError {
	return &apierrors.StatusError{ErrStatus: apierrors.Status{Kind: "Status", APIVersion: "v1", Status: "Failure",
		Message: "the server could not find the requested resource", Reason: apierrors.ReasonNotFound, Code: http.StatusNotFound,
		Details: &apierrors.StatusDetails{}}}
}

func methodNotAllowed(method string) *apierrors.StatusError {
	return &apierrors.StatusError{ErrStatus: apierrors.Status{Kind: "Status", APIVersion: "v1", Status: "Failure",
		Message: "the server does not allow this method on the requested resource", Reason: apierrors.ReasonMethodNotAllowed, Code: http.StatusMethodNotAllowed,
		Details: &apierrors.StatusDetails{}}}
}

// asStatus turns any error into the Status the client sees: the
// apiserver's own StatusError as it is, a context cancellation or a
// simulation failure as the 5xx the real server would give.
func asStatus(err error) *apierrors.StatusError {
	var se *apierrors.StatusError
	if errors.As(err, &se) {
		return se
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return apierrors.NewTimeout("the request was cancelled before the server answered")
	}
	return apierrors.NewInternalError(err)
}

func writeError(w http.ResponseWriter, err error) {
	se := asStatus(err)
	code := int(se.ErrStatus.Code)
	if code == 0 {
		code = http.StatusInternalServerError
	}
	writeJSON(w, code, se.ErrStatus)
}

func writeJSON(w http.ResponseWriter, code int, v any) { writeJSONAs(w, code, contentJSON, v) }

func writeJSONAs(w http.ResponseWriter, code int, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code = http.StatusInternalServerError
		b, _ = json.Marshal(apierrors.NewInternalError(err).ErrStatus)
	}
	writeBody(w, code, contentType, b)
}

func writeBody(w http.ResponseWriter, code int, contentType string, b []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(code)
	w.Write(b)
}

// addWarnings sets `Warning: 299 - "text"` headers, which kubectl prints as
// `Warning: text`.
func addWarnings(w http.ResponseWriter, warnings []string) {
	for _, text := range warnings {
		w.Header().Add("Warning", `299 - "`+strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(text)+`"`)
	}
}
