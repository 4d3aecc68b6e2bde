package web

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/scenarios/serve"
	"github.com/kubesim/kubesim/sim/cluster"
)

// served boots the default cluster, paused, and serves it with the web
// view (or without).
func served(t *testing.T, withUI bool) (*serve.Server, func()) {
	t.Helper()
	c, err := cluster.New(cluster.Config{Seed: 1})
	require.NoError(t, err)
	cfg := serve.Config{Cluster: c, Paused: true}
	if withUI {
		cfg.UI = func(s *serve.Server) http.Handler { return NewLive(s, Run{Name: "kubesim serve", Seed: 1}) }
	}
	srv, err := serve.New(cfg)
	require.NoError(t, err)
	require.NoError(t, srv.Listen())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	return srv, func() {
		cancel()
		require.NoError(t, <-done)
	}
}

// traceOf is the served run's trace so far, as text.
func traceOf(t *testing.T, srv *serve.Server) []string {
	t.Helper()
	var out []string
	require.NoError(t, srv.Do(context.Background(), func(c *cluster.Cluster) {
		for _, r := range c.K.Trace().Records() {
			out = append(out, r.Text())
		}
	}))
	return out
}

func TestLivePageStepsTheServedRun(t *testing.T) {
	chromium(t)
	srv, stop := served(t, true)
	defer stop()
	b := newBrowser(t, chromedp.IgnoreCertErrors)
	link := srv.UILink()
	b.do(t, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`#live-state[data-ready="true"]`)), loaded)
	assert.Equal(t, srv.URL()+"/ui/", b.eval(t, "location.origin + location.pathname"), "the one-time code left the address bar")
	assert.Equal(t, "paused", b.text(t, "#live-state"))
	first, err := strconv.Atoi(b.text(t, "#seq"))
	require.NoError(t, err)
	require.Positive(t, first, "the page shows the run so far")
	assert.True(t, b.present(t, `[data-node="worker-1"]`), "the nodes are drawn")
	assert.True(t, b.present(t, `[data-pod^="kube-system/"]`), "with their pods")

	// A step delivers one event; some write no record. Step until records
	// came, as a trainee would.
	for i := 1; i <= 20; i++ {
		stepFromPage(t, b, i)
	}
	_, err = chromedp.Run(b.ctx, chromedp.Poll[bool](fmt.Sprintf("parseInt(document.getElementById('seq').textContent) > %d", first)))
	require.NoError(t, err, "the steps' records arrive over the event stream")

	b.do(t, chromedp.Click(chromedp.ID("pause")))
	_, err = chromedp.Run(b.ctx, chromedp.Poll[bool](`document.getElementById('live-state').textContent === 'running'`))
	require.NoError(t, err, "resume from the page")
	assert.False(t, srv.Paused())
	b.do(t, chromedp.Click(chromedp.ID("pause")))
	_, err = chromedp.Run(b.ctx, chromedp.Poll[bool](`document.getElementById('live-state').textContent === 'paused'`))
	require.NoError(t, err)
	assert.True(t, srv.Paused())

	for _, u := range b.requestsOtherThan(link) {
		assert.True(t, strings.HasPrefix(u, srv.URL()+"/ui/"), "the live page talks only to its server: %s", u)
	}
	b.noErrors(t)
}

// The page only reads: a served run stepped from the page has the trace
// of the same run stepped from the prompt with no page open.
func TestLivePageLeavesTheTraceAsItWas(t *testing.T) {
	chromium(t)
	withPage, stopA := served(t, true)
	defer stopA()
	without, stopB := served(t, false)
	defer stopB()
	b := newBrowser(t, chromedp.IgnoreCertErrors)
	b.do(t, chromedp.Navigate(withPage.UILink()), chromedp.WaitVisible(chromedp.CSS(`#live-state[data-ready="true"]`)))
	const steps = 12
	for i := 1; i <= steps; i++ {
		stepFromPage(t, b, i)
		_, err := without.Step(context.Background())
		require.NoError(t, err)
	}
	want := fmt.Sprint(len(traceOf(t, without)))
	_, err := chromedp.Run(b.ctx, chromedp.Poll[bool](fmt.Sprintf("document.getElementById('seq').textContent === %q", want)))
	require.NoError(t, err, "the page reaches the newest record, #%s", want)
	a, c := traceOf(t, withPage), traceOf(t, without)
	require.NotEmpty(t, a)
	assert.Equal(t, c, a, "the same records with the page open and without")
}

// stepFromPage clicks the page's step button and waits for its answer
// (the i-th).
func stepFromPage(t *testing.T, b *browser, i int) {
	t.Helper()
	b.do(t, chromedp.Click(chromedp.ID("step")))
	_, err := chromedp.Run(b.ctx, chromedp.Poll[bool](fmt.Sprintf("document.getElementById('live-state').dataset.steps === '%d'", i)))
	require.NoError(t, err, "step %d", i)
}

func TestLiveControlsRefuseBadInput(t *testing.T) {
	srv, stop := served(t, true)
	defer stop()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, TLSClientConfig: &tls.Config{RootCAs: serve.CAPool(srv.CA())}}}
	call := func(method, path, body string) (int, string) {
		req, err := http.NewRequest(method, srv.URL()+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+srv.BearerToken())
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	for _, tc := range []struct {
		name, method, path, body string
		wantCode                 int
		wantText                 string
	}{
		{"advance backwards", "POST", "/ui/advance", `{"seconds": -1}`, 400, "seconds must be in (0, 3600]"},
		{"pause without a value", "POST", "/ui/pause", `{}`, 400, `expected {"paused": true}`},
		{"not JSON", "POST", "/ui/step", `step!`, 400, "the body must be a JSON object"},
		{"step with GET", "GET", "/ui/step", ``, 405, "needs POST"},
		{"no such page", "GET", "/ui/nothing", ``, 404, "the web view is /ui/"},
		{"advance", "POST", "/ui/advance", `{"seconds": 2}`, 200, `"paused":true`},
		{"the page", "GET", "/ui/", ``, 200, `data-mode="live"`},
	} {
		code, body := call(tc.method, tc.path, tc.body)
		assert.Equal(t, tc.wantCode, code, "%s: %s", tc.name, body)
		assert.Contains(t, body, tc.wantText, tc.name)
	}
}
