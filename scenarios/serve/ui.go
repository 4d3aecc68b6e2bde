package serve

import (
	"crypto/subtle"
	"net/http"
	"sync"
)

// The web view (package web) at /ui/, for a browser on this machine.
//
// A browser cannot send the kubeconfig's bearer token by itself, and the
// page must not be usable by another site's page in the same browser. So:
//
//   - the banner prints a one-time link, /ui/?code=CODE; opening it sets a
//     cookie that holds a secret made fresh for the run (HttpOnly, Secure,
//     SameSite=Strict, Path=/ui/) and redirects to /ui/, so the code is
//     neither reusable nor left in the address bar or the history. The
//     prompt's `ui` command makes a new link (the old code stops working).
//   - every /ui/ request needs that cookie, or the kubeconfig's bearer
//     token (scripts, tests);
//   - the requests that change the run (POST /ui/step, /ui/pause,
//     /ui/advance) also need a JSON body, which a cross-site form cannot
//     send without the browser asking first;
//   - serve's own checks apply before all of that: loopback clients only,
//     a Host header naming this server (no DNS rebinding), no cross-site
//     Origin or Sec-Fetch-Site.

const uiCookie = "kubesim-ui"

type uiAuth struct {
	mu     sync.Mutex
	code   string // the one-time code of the newest link, "" once used
	secret string // the cookie's value
}

// UILink is a one-time link to the web view; each call makes a new one
// and the one before stops working. "" when the server has no web view.
func (s *Server) UILink() string {
	if s.cfg.UI == nil {
		return ""
	}
	s.ui.mu.Lock()
	defer s.ui.mu.Unlock()
	s.ui.code = newToken()
	return s.URL() + "/ui/?code=" + s.ui.code
}

// useCode reports whether code is the newest link's, and spends it.
func (s *Server) useCode(code string) bool {
	s.ui.mu.Lock()
	defer s.ui.mu.Unlock()
	if s.ui.code == "" || subtle.ConstantTimeCompare([]byte(code), []byte(s.ui.code)) != 1 {
		return false
	}
	s.ui.code = ""
	return true
}

// uiGate lets the web view's requests through as described above.
func (s *Server) uiGate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if code := r.URL.Query().Get("code"); code != "" {
			if r.Method != http.MethodGet || r.URL.Path != "/ui/" || !s.useCode(code) {
				http.Error(w, "forbidden: this link to the web view was used already, or is not the newest one: type ui at kubesim serve's prompt for a new one", http.StatusForbidden)
				return
			}
			http.SetCookie(w, &http.Cookie{Name: uiCookie, Value: s.ui.secret, Path: "/ui/", HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
			http.Redirect(w, r, "/ui/", http.StatusSeeOther)
			return
		}
		ok := false
		if c := credentialsFrom(r.Context()); c.token == s.cfg.Token && c.impersonate == nil && r.Header.Get("Authorization") != "" {
			ok = true
		}
		if c, err := r.Cookie(uiCookie); err == nil && subtle.ConstantTimeCompare([]byte(c.Value), []byte(s.ui.secret)) == 1 {
			ok = true
		}
		if !ok {
			http.Error(w, "unauthorized: open the one-time link kubesim serve printed (or type ui at its prompt for a new one), or send the kubeconfig's bearer token", http.StatusUnauthorized)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "unsupported media type: the web view's controls take a JSON body (Content-Type: application/json)", http.StatusUnsupportedMediaType)
			return
		}
		next.ServeHTTP(w, r)
	})
}
