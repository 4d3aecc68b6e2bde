package serve

// The audit log: one audit.k8s.io/v1 Event per request, as JSON lines, as
// kube-apiserver writes with --audit-log-path and a policy of level
// Metadata for everything. Each names who asked (user, impersonatedUser,
// sourceIPs, userAgent), what for (verb, requestURI, objectRef) and the
// answer (responseStatus: the code, and for a failure the Status's status,
// reason and message).
//
// The log is out of band: it is written by the HTTP front end from what
// the request and its response carry, never asks the simulation anything,
// so a run's trace is the same with it or without it. Its timestamps
// (requestReceivedTimestamp, stageTimestamp) are the wall clock of the
// machine serving, since serve lives outside the simulation; the
// cluster's own objects carry virtual time.
//
// As the real one, a watch logs twice: ResponseStarted when the stream
// opens, ResponseComplete when it ends; a request that fails
// authentication logs once, at ResponseStarted, with no user and the
// message "Authentication failed, ..." naming what was tried.
// Simplifications: no audit policy file (every request at level
// Metadata, no stage omitted), and no annotations (the real log adds
// RBAC's decision and reason as authorization.k8s.io/* annotations).

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/kubesim/kubesim/components/apiserver"
	"github.com/kubesim/kubesim/components/apiserver/frontend"
	"github.com/kubesim/kubesim/components/apiwire"
)

// AuditEvent is an audit.k8s.io/v1 Event at level Metadata (the fields
// of k8s.io/apiserver's audit types that this level fills).
type AuditEvent struct {
	Kind                     string          `json:"kind"`
	APIVersion               string          `json:"apiVersion"`
	Level                    string          `json:"level"`
	AuditID                  string          `json:"auditID"`
	Stage                    string          `json:"stage"`
	RequestURI               string          `json:"requestURI"`
	Verb                     string          `json:"verb"`
	User                     AuditUser       `json:"user"`
	ImpersonatedUser         *AuditUser      `json:"impersonatedUser,omitempty"`
	SourceIPs                []string        `json:"sourceIPs,omitempty"`
	UserAgent                string          `json:"userAgent,omitempty"`
	ObjectRef                *AuditObjectRef `json:"objectRef,omitempty"`
	ResponseStatus           *AuditStatus    `json:"responseStatus,omitempty"`
	RequestReceivedTimestamp string          `json:"requestReceivedTimestamp"`
	StageTimestamp           string          `json:"stageTimestamp"`
}

// AuditUser is authentication.k8s.io/v1 UserInfo.
type AuditUser struct {
	Username string   `json:"username,omitempty"`
	Groups   []string `json:"groups,omitempty"`
}

// AuditObjectRef is the object a request is about.
type AuditObjectRef struct {
	Resource    string `json:"resource,omitempty"`
	Namespace   string `json:"namespace,omitempty"`
	Name        string `json:"name,omitempty"`
	APIGroup    string `json:"apiGroup,omitempty"`
	APIVersion  string `json:"apiVersion,omitempty"`
	Subresource string `json:"subresource,omitempty"`
}

// AuditStatus is the metav1.Status of the response, with its bounded
// fields only, as the real log copies it.
type AuditStatus struct {
	Metadata struct{} `json:"metadata"`
	Status   string   `json:"status,omitempty"`
	Message  string   `json:"message,omitempty"`
	Reason   string   `json:"reason,omitempty"`
	Code     int      `json:"code,omitempty"`
}

// Audit stages.
const (
	StageResponseStarted  = "ResponseStarted"
	StageResponseComplete = "ResponseComplete"
)

// auditTime is metav1.MicroTime's format.
const auditTime = "2006-01-02T15:04:05.000000Z07:00"

// auditLog writes events to one writer, a line each.
type auditLog struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *auditLog) write(ev *AuditEvent) {
	b, err := json.Marshal(ev)
	if err != nil {
		return
	}
	b = append(b, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = l.w.Write(b)
}

// auditRecord is one request's event as the guard fills it in.
type auditRecord struct {
	ev          AuditEvent
	authnFailed bool
}

type auditKey struct{}

func auditFrom(r *http.Request) *auditRecord {
	a, _ := r.Context().Value(auditKey{}).(*auditRecord)
	return a
}

// auditAuthenticated records who the request authenticated as.
func auditAuthenticated(r *http.Request, user apiserver.UserInfo, imp *apiwire.Impersonation) {
	a := auditFrom(r)
	if a == nil {
		return
	}
	a.ev.User = AuditUser{Username: user.Name, Groups: user.Groups}
	if imp != nil {
		a.ev.ImpersonatedUser = &AuditUser{Username: imp.User, Groups: imp.Groups}
	}
}

// auditAuthnFailed records that authentication refused the request.
func auditAuthnFailed(r *http.Request, err error) {
	if a := auditFrom(r); a != nil {
		a.authnFailed = true
	}
}

// authMethods is what the real failed-authentication audit says was
// tried.
func authMethods(r *http.Request) string {
	var m []string
	if _, _, ok := r.BasicAuth(); ok {
		m = append(m, "basic")
	}
	if scheme, _, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " "); strings.EqualFold(scheme, "bearer") {
		m = append(m, "bearer")
	}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		m = append(m, "x509")
	}
	if len(m) == 0 {
		return "Authentication failed, no credentials provided"
	}
	return "Authentication failed, attempted: " + strings.Join(m, ", ")
}

// newAuditID is a random (version 4) UUID, as the real apiserver makes
// when the client sent no Audit-ID header.
func newAuditID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// audited wraps h so that each request it serves is logged.
func (s *Server) audited(h http.Handler) http.Handler {
	if s.audit == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		received := time.Now()
		info := frontend.NewRequestInfo(r)
		a := &auditRecord{ev: AuditEvent{
			Kind: "Event", APIVersion: "audit.k8s.io/v1", Level: "Metadata",
			AuditID: r.Header.Get("Audit-ID"), RequestURI: r.URL.RequestURI(), Verb: info.Verb,
			UserAgent: r.UserAgent(), RequestReceivedTimestamp: received.UTC().Format(auditTime),
		}}
		if a.ev.AuditID == "" {
			a.ev.AuditID = newAuditID()
		}
		if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
			a.ev.SourceIPs = []string{host}
		}
		if info.IsResourceRequest {
			a.ev.ObjectRef = &AuditObjectRef{Resource: info.Resource, Namespace: info.Namespace, Name: info.Name,
				APIGroup: info.APIGroup, APIVersion: info.APIVersion, Subresource: info.Subresource}
		}
		w.Header().Set("Audit-Id", a.ev.AuditID)
		aw := &auditWriter{ResponseWriter: w, log: s.audit, rec: a, longRunning: info.Verb == "watch"}
		h.ServeHTTP(aw, r.WithContext(context.WithValue(r.Context(), auditKey{}, a)))
		if !aw.wrote {
			aw.WriteHeader(http.StatusOK)
		}
		if a.authnFailed {
			a.ev.User, a.ev.ImpersonatedUser = AuditUser{}, nil
			a.ev.Stage = StageResponseStarted
			a.ev.ResponseStatus = &AuditStatus{Message: authMethods(r), Code: aw.code}
		} else {
			a.ev.Stage = StageResponseComplete
			a.ev.ResponseStatus = aw.status()
		}
		a.ev.StageTimestamp = time.Now().UTC().Format(auditTime)
		s.audit.write(&a.ev)
	})
}

// auditWriter notes the response's code, keeps the start of a failure's
// body (a Status) and logs a long-running request's ResponseStarted.
type auditWriter struct {
	http.ResponseWriter
	log         *auditLog
	rec         *auditRecord
	longRunning bool
	wrote       bool
	code        int
	body        bytes.Buffer
}

// failureBodyLimit bounds how much of a failure's body is kept to read its
// Status from.
const failureBodyLimit = 64 << 10

func (w *auditWriter) WriteHeader(code int) {
	if w.wrote {
		return
	}
	w.wrote, w.code = true, code
	if w.longRunning && !w.rec.authnFailed {
		ev := w.rec.ev
		ev.Stage = StageResponseStarted
		ev.ResponseStatus = &AuditStatus{Code: code}
		ev.StageTimestamp = time.Now().UTC().Format(auditTime)
		w.log.write(&ev)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *auditWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if w.code >= 400 && w.body.Len() < failureBodyLimit {
		w.body.Write(b[:min(len(b), failureBodyLimit-w.body.Len())])
	}
	return w.ResponseWriter.Write(b)
}

// Flush lets watch streams through.
func (w *auditWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack hands the connection over for an upgraded stream (exec,
// port-forward); the event then records 101 Switching Protocols.
func (w *auditWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("the connection cannot be taken over")
	}
	if !w.wrote {
		w.wrote, w.code = true, http.StatusSwitchingProtocols
	}
	return h.Hijack()
}

// Unwrap lets http.ResponseController reach the connection (hijacking for
// upgrades, deadlines).
func (w *auditWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *auditWriter) status() *AuditStatus {
	st := &AuditStatus{Code: w.code}
	if w.code < 400 {
		return st
	}
	var body struct {
		Kind    string `json:"kind"`
		Status  string `json:"status"`
		Message string `json:"message"`
		Reason  string `json:"reason"`
	}
	if json.Unmarshal(w.body.Bytes(), &body) == nil && body.Kind == "Status" {
		st.Status, st.Message, st.Reason = body.Status, body.Message, body.Reason
	}
	return st
}
