package serve

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// uiRequest sends a request to the web view as a browser would: no
// kubeconfig token unless bearer is set, no redirects followed.
func uiRequest(t *testing.T, srv *Server, method, target string, header map[string]string, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	require.NoError(t, err)
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	c := &http.Client{
		Transport:     &http.Transport{DisableKeepAlives: true, TLSClientConfig: &tls.Config{RootCAs: CAPool(srv.CA())}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	res, err := c.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestUIGate(t *testing.T) {
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "the page "+r.Method+" "+r.URL.Path) })
	srv, stop := startServer(t, Config{Paused: true, UI: func(*Server) http.Handler { return page }})
	defer stop()
	base := srv.URL()

	res, body := uiRequest(t, srv, "GET", base+"/ui/", nil, "")
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode, "no cookie, no token: %s", body)
	assert.Contains(t, body, "one-time link")

	res, _ = uiRequest(t, srv, "GET", base+"/ui/?code=kubesim-wrong", nil, "")
	assert.Equal(t, http.StatusForbidden, res.StatusCode, "a wrong code")

	link := srv.UILink()
	require.True(t, strings.HasPrefix(link, base+"/ui/?code="), link)
	res, _ = uiRequest(t, srv, "GET", link, nil, "")
	require.Equal(t, http.StatusSeeOther, res.StatusCode, "the link sets the cookie and redirects")
	assert.Equal(t, "/ui/", res.Header.Get("Location"), "the code leaves the address bar")
	var cookie *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == uiCookie {
			cookie = c
		}
	}
	require.NotNil(t, cookie)
	assert.True(t, cookie.HttpOnly)
	assert.True(t, cookie.Secure)
	assert.Equal(t, http.SameSiteStrictMode, cookie.SameSite)
	assert.Equal(t, "/ui/", cookie.Path)
	assert.NotContains(t, link, cookie.Value, "the cookie is not the code")

	res, _ = uiRequest(t, srv, "GET", link, nil, "")
	assert.Equal(t, http.StatusForbidden, res.StatusCode, "the link works once")

	withCookie := map[string]string{"Cookie": uiCookie + "=" + cookie.Value}
	res, body = uiRequest(t, srv, "GET", base+"/ui/", withCookie, "")
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, "the page GET /ui/", body)
	assert.Equal(t, "DENY", res.Header.Get("X-Frame-Options"))

	res, _ = uiRequest(t, srv, "GET", base+"/ui/", map[string]string{"Cookie": uiCookie + "=kubesim-guess"}, "")
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode, "a wrong cookie")

	res, body = uiRequest(t, srv, "GET", base+"/ui/", map[string]string{"Authorization": "Bearer " + srv.BearerToken()}, "")
	assert.Equal(t, http.StatusOK, res.StatusCode, "the kubeconfig's token: %s", body)

	res, _ = uiRequest(t, srv, "POST", base+"/ui/step", withCookie, "{}")
	assert.Equal(t, http.StatusUnsupportedMediaType, res.StatusCode, "a form post cannot step the run")
	json := map[string]string{"Cookie": uiCookie + "=" + cookie.Value, "Content-Type": "application/json"}
	res, body = uiRequest(t, srv, "POST", base+"/ui/step", json, "{}")
	assert.Equal(t, http.StatusOK, res.StatusCode, body)

	u, _ := url.Parse(base)
	for name, h := range map[string]map[string]string{
		"cross-site Origin":     {"Cookie": uiCookie + "=" + cookie.Value, "Origin": "https://evil.example"},
		"cross-site fetch":      {"Cookie": uiCookie + "=" + cookie.Value, "Sec-Fetch-Site": "cross-site"},
		"DNS rebinding (Host)":  {"Cookie": uiCookie + "=" + cookie.Value, "Host": "evil.example:" + u.Port()},
		"Origin with no host":   {"Cookie": uiCookie + "=" + cookie.Value, "Origin": "null"},
		"impersonating a token": {"Authorization": "Bearer " + srv.BearerToken(), "Impersonate-User": "jane"},
	} {
		res, body := uiRequest(t, srv, "GET", base+"/ui/", h, "")
		assert.Contains(t, []int{http.StatusForbidden, http.StatusUnauthorized}, res.StatusCode, "%s: %s", name, body)
	}

	again := srv.UILink()
	assert.NotEqual(t, link, again, "each link is new")
	newer := srv.UILink()
	res, _ = uiRequest(t, srv, "GET", again, nil, "")
	assert.Equal(t, http.StatusForbidden, res.StatusCode, "a new link retires the one before")
	res, _ = uiRequest(t, srv, "GET", newer, nil, "")
	assert.Equal(t, http.StatusSeeOther, res.StatusCode)
}

func TestNoUIWithoutTheWebView(t *testing.T) {
	srv, stop := startServer(t, Config{Paused: true})
	defer stop()
	assert.Empty(t, srv.UILink())
}
