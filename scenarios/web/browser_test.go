package web

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chromiumPath finds Debian's chromium, or "".
func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	return ""
}

// chromium finds Debian's chromium; the browser tests skip without it.
func chromium(t *testing.T) string {
	t.Helper()
	p := chromiumPath()
	if p == "" {
		t.Skip("no chromium binary on PATH: install Debian's chromium (apt-get install -y chromium) to run the browser tests")
	}
	return p
}

// browserFlags start a headless chromium that talks to nothing but the
// pages it is sent to, with a fresh profile.
func browserFlags(path, profile string) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1400, 1000),
	}
}

// browser is one headless chromium with a fresh profile; page errors and
// every network request the page makes are collected.
type browser struct {
	ctx      context.Context
	mu       sync.Mutex
	requests []string
	errors   []string
}

func newBrowser(t *testing.T, extra ...chromedp.ExecAllocatorOption) *browser {
	t.Helper()
	opts := browserFlags(chromium(t), t.TempDir())
	opts = append(opts, extra...)
	b := &browser{}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithListener(func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			b.requests = append(b.requests, e.Request.URL)
		case *runtime.EventExceptionThrown:
			msg := e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil {
				msg += " " + e.ExceptionDetails.Exception.Description
			}
			b.errors = append(b.errors, msg)
		}
	}))
	// A bound for a browser that hangs, not a measurement.
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	b.ctx = ctx
	return b
}

func (b *browser) do(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	require.NoError(t, chromedp.Do(b.ctx, actions...))
}

func (b *browser) text(t *testing.T, css string) string {
	t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(css)))
	require.NoError(t, err, "text of %s", css)
	return s
}

func (b *browser) eval(t *testing.T, js string) any {
	t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[any](js))
	require.NoError(t, err, "evaluating %s", js)
	return v
}

func (b *browser) present(t *testing.T, css string) bool {
	t.Helper()
	return b.eval(t, fmt.Sprintf("!!document.querySelector(%q)", css)) == true
}

func (b *browser) noErrors(t *testing.T) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	assert.Empty(t, b.errors, "the page threw")
}

// requestsOtherThan lists the requests for anything but the page itself.
func (b *browser) requestsOtherThan(page string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, u := range b.requests {
		if u != page && !strings.HasPrefix(u, page+"#") {
			out = append(out, u)
		}
	}
	return out
}

func writePage(t *testing.T, d *Data) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, WriteHTML(&buf, d))
	path := filepath.Join(t.TempDir(), "run.html")
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
	return "file://" + path
}

func hangul(s string) bool {
	return strings.IndexFunc(s, func(c rune) bool { return unicode.Is(unicode.Hangul, c) }) >= 0
}

var (
	right      = chromedp.KeyEvent(kb.ArrowRight)
	left       = chromedp.KeyEvent(kb.ArrowLeft)
	shiftRight = chromedp.KeyEvent(kb.ArrowRight, chromedp.KeyModifiers(chromedp.ModifierShift))
	loaded     = chromedp.WaitVisible(chromedp.CSS("#cluster .node"))
)

func TestPageStepsOverTheBinding(t *testing.T) {
	d := firstFlow(t)
	bind := bindingOf(t, d, "default", "web")
	url := writePage(t, d)
	b := newBrowser(t)
	sel := fmt.Sprintf(`[data-node=%q] [data-pod="default/web"]`, bind.Pod.Node)
	b.do(t, chromedp.Navigate(fmt.Sprintf("%s#seq=%d", url, bind.N-1)), loaded)
	assert.Equal(t, fmt.Sprint(bind.N-1), b.text(t, "#seq"), "#seq= opens the page at that record")
	assert.False(t, b.present(t, sel), "before the binding the pod is on no node")
	assert.True(t, b.present(t, `[data-pod="default/web"]`), "the pod exists, not yet scheduled")

	b.do(t, right)
	assert.Equal(t, fmt.Sprint(bind.N), b.text(t, "#seq"), "right arrow: the next record")
	require.True(t, b.present(t, sel), "at the binding the pod is drawn on %s", bind.Pod.Node)
	assert.Equal(t, "Pending", b.eval(t, fmt.Sprintf("document.querySelector(%q).dataset.phase", sel)))

	b.do(t, left)
	assert.Equal(t, fmt.Sprint(bind.N-1), b.text(t, "#seq"), "left arrow: the record before")
	assert.False(t, b.present(t, sel), "stepping back takes the pod off the node again")
	assert.Equal(t, fmt.Sprintf("#seq=%d", bind.N-1), b.eval(t, "location.hash"), "the URL holds the cursor")

	// Later the pod is Running with its IP, on the same node.
	var running Write
	for _, w := range d.Writes {
		if w.Pod != nil && w.Pod.Name == "web" && w.Pod.Namespace == "default" && w.Pod.Phase == "Running" {
			running = w
			break
		}
	}
	require.NotZero(t, running.N)
	b.do(t, chromedp.Navigate(fmt.Sprintf("%s#seq=%d", url, running.N)), loaded)
	assert.Equal(t, fmt.Sprint(running.N), b.text(t, "#seq"), "a changed #seq moves the cursor")
	assert.Contains(t, b.text(t, sel), running.Pod.IP)
	assert.Equal(t, "Running", b.eval(t, fmt.Sprintf("document.querySelector(%q).dataset.phase", sel)))
	b.noErrors(t)
}

func TestPageNarratesInKorean(t *testing.T) {
	d := firstFlow(t)
	bind := bindingOf(t, d, "default", "web")
	// The last narrated record before the binding.
	var target Rec
	for _, r := range d.Records {
		if r.N < bind.N && r.Ko != "" && r.Event != "mark" {
			target = r
		}
	}
	require.NotZero(t, target.N)
	url := writePage(t, d)
	b := newBrowser(t)
	b.do(t, chromedp.Navigate(fmt.Sprintf("%s#seq=%d", url, target.N)), loaded)
	assert.Equal(t, fmt.Sprint(target.N), b.text(t, "#seq"))
	assert.Contains(t, b.text(t, "#records .row.cur"), fmt.Sprintf("#%d ", target.N), "the record list shows the linked record under the cursor")
	assert.Equal(t, target.En, b.text(t, "#narration"))
	b.do(t, chromedp.Click(chromedp.ID("lang")))
	ko := b.text(t, "#narration")
	assert.Equal(t, target.Ko, ko, "the toggle shows the Korean narration")
	assert.True(t, hangul(ko), "Hangul: %q", ko)
	assert.True(t, hangul(b.text(t, "#flow-narration")), "the flow's narration follows the toggle")
	assert.True(t, hangul(b.text(t, "#cluster-panel h2")), "and the page's own labels")
	b.do(t, chromedp.Click(chromedp.ID("lang")))
	assert.Equal(t, target.En, b.text(t, "#narration"), "and back to English")
	b.noErrors(t)
}

func TestPageKeysCheckpointsAndFilter(t *testing.T) {
	d := firstFlow(t)
	url := writePage(t, d)
	b := newBrowser(t)
	var firstCheck uint64
	for _, r := range d.Records {
		if r.Check && r.N > 1 {
			firstCheck = r.N
			break
		}
	}
	require.NotZero(t, firstCheck)
	b.do(t, chromedp.Navigate(url+"#seq=1"), loaded, shiftRight)
	s1 := b.text(t, "#seq")
	assert.Equal(t, fmt.Sprint(firstCheck), s1, "shift+right: the next checkpoint")
	b.do(t, chromedp.KeyEvent("/"), chromedp.SendKeys(chromedp.ID("filter"), "kube-scheduler"), chromedp.KeyEvent(kb.Enter), right)
	assert.NotEqual(t, s1, b.text(t, "#seq"))
	assert.Contains(t, b.text(t, "#message"), "kube-scheduler", "with a filter, right arrow goes to the next matching record")
	assert.Positive(t, b.eval(t, `document.querySelectorAll('#seqdiag svg line[marker-end]').length`), "the flow is drawn as a sequence diagram")
	assert.Positive(t, b.eval(t, `document.querySelectorAll('#plot-pods polyline').length`), "the plots are drawn")
	b.noErrors(t)
}

func TestPageMakesNoNetworkRequest(t *testing.T) {
	d := firstFlow(t)
	url := writePage(t, d)
	b := newBrowser(t)
	b.do(t,
		chromedp.Navigate(url+"#seq=100"), loaded, right,
		chromedp.Click(chromedp.ID("lang")),
		chromedp.Click(chromedp.ID("plot-pods")),
		chromedp.Sleep(300*time.Millisecond), // let late requests show
	)
	assert.Empty(t, b.requestsOtherThan(url), "the page requests nothing")
	b.noErrors(t)

	// The check sees a request when there is one: the same page with an
	// image from elsewhere (and no policy to stop it).
	var buf bytes.Buffer
	require.NoError(t, WriteHTML(&buf, d))
	leaky := strings.Replace(buf.String(), `<meta http-equiv="Content-Security-Policy"`, `<img alt="" src="http://127.0.0.1:9/leak.png"><meta name="x"`, 1)
	path := filepath.Join(t.TempDir(), "leaky.html")
	require.NoError(t, os.WriteFile(path, []byte(leaky), 0o644))
	b2 := newBrowser(t)
	b2.do(t, chromedp.Navigate("file://"+path), loaded, chromedp.Sleep(300*time.Millisecond))
	assert.Contains(t, strings.Join(b2.requestsOtherThan("file://"+path), " "), "leak.png", "the listener sees a page's requests")
}
