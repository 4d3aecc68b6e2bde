package dns

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// ResponseWriter receives the reply of a handler. Plugins that post-process
// replies (cache, loadbalance) wrap it.
type ResponseWriter interface {
	WriteMsg(*Msg) error
	// RemoteAddr is the client address, for logs.
	RemoteAddr() netip.AddrPort
}

// Handler is CoreDNS's plugin.Handler: ServeDNS answers r through w, or
// returns an rcode that the server turns into a reply when the handler did
// not write one (SERVFAIL, REFUSED, FORMERR, NOTIMP).
type Handler interface {
	ServeDNS(ctx context.Context, w ResponseWriter, r *Msg) (Rcode, error)
	Name() string
}

// Plugin wraps the next handler, as CoreDNS's plugin.Plugin.
type Plugin func(next Handler) Handler

// ClientWrite reports whether a handler returning rc has written the reply
// itself (CoreDNS's plugin.ClientWrite).
func ClientWrite(rc Rcode) bool {
	switch rc {
	case RcodeServerFailure, RcodeRefused, RcodeFormatError, RcodeNotImplemented:
		return false
	}
	return true
}

// NextOrFailure calls next, or returns SERVFAIL when there is none.
func NextOrFailure(name string, next Handler, ctx context.Context, w ResponseWriter, r *Msg) (Rcode, error) {
	if next != nil {
		return next.ServeDNS(ctx, w, r)
	}
	return RcodeServerFailure, fmt.Errorf("plugin/%s: no next plugin found", name)
}

// Server is a CoreDNS server block ".:53": a chain of plugins.
type Server struct {
	chain   Handler
	plugins []string
}

// NewServer chains the plugins; the first is outermost, as CoreDNS orders
// them by plugin.cfg (errors, ..., loadbalance, cache, kubernetes, forward).
func NewServer(plugins ...Plugin) *Server {
	var h Handler
	for i := len(plugins) - 1; i >= 0; i-- {
		h = plugins[i](h)
	}
	s := &Server{chain: h}
	for x := h; x != nil; x = next(x) {
		s.plugins = append(s.plugins, x.Name())
	}
	return s
}

// nexter is implemented by plugins that expose their next handler.
type nexter interface{ nextHandler() Handler }

func next(h Handler) Handler {
	if n, ok := h.(nexter); ok {
		return n.nextHandler()
	}
	return nil
}

// Plugins names the chain, outermost first.
func (s *Server) Plugins() []string { return append([]string(nil), s.plugins...) }

// capture is the writer the server hands to the chain.
type capture struct {
	remote netip.AddrPort
	msg    *Msg
}

func (c *capture) WriteMsg(m *Msg) error {
	if c.msg != nil {
		return errors.New("dns: reply already written")
	}
	c.msg = m
	return nil
}

func (c *capture) RemoteAddr() netip.AddrPort { return c.remote }

// ServeDNS answers one query from client. It never fails: a chain that
// returns an error without writing produces a SERVFAIL reply, as CoreDNS's
// server does. Like CoreDNS it does not set "ra" on the answers it makes
// itself (dig warns "recursion requested but not available"); forwarded
// answers carry the upstream's flags.
func (s *Server) ServeDNS(ctx context.Context, client netip.AddrPort, r *Msg) *Msg {
	w := &capture{remote: client}
	if s.chain == nil || len(r.Question) != 1 {
		return r.ReplyRcode(RcodeRefused)
	}
	rc, _ := s.chain.ServeDNS(ctx, w, r)
	if w.msg != nil {
		out := w.msg
		out.ID = r.ID
		out.Response = true
		return out
	}
	if ClientWrite(rc) {
		rc = RcodeServerFailure
	}
	return r.ReplyRcode(rc)
}

// zoneMatch returns the longest zone qname is in, or "".
func zoneMatch(zones []string, qname string) string {
	best := ""
	for _, z := range zones {
		if IsSubDomain(z, qname) && len(z) > len(best) {
			best = z
		}
	}
	return best
}

func lower(s string) string { return strings.ToLower(s) }
