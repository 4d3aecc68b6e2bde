package web

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/assert"
)

// bigRun is the data of a 1,000-node run with 10 pods per node, made up
// (a real one takes minutes to run): every pod is created, bound and
// started, one record each.
func bigRun(nodes, podsPerNode int) *Data {
	d := &Data{Name: "scale", Seed: 1}
	for i := 0; i < nodes; i++ {
		n := fmt.Sprintf("node-%d", i)
		d.Nodes = append(d.Nodes, Node{Name: n, ControlPlane: i < 3, IP: fmt.Sprintf("172.18.%d.%d", i/250, i%250+2)})
		for _, c := range []string{"kubelet", "kube-proxy", "cilium-agent"} {
			d.Actors = append(d.Actors, Actor{Name: c + "-" + n, Component: c, Node: n})
		}
	}
	rev := int64(1)
	n := uint64(0)
	add := func(from, to, kind, sum string, w *Write) {
		n++
		rev++
		d.Records = append(d.Records, Rec{N: n, T: int64(n) * int64(time.Millisecond), Event: "deliver", From: from, To: to, Kind: kind, Sum: sum, Rev: rev, En: "narration " + sum, Ko: "해설 " + sum})
		w.Rev, w.N = rev, n
		d.Writes = append(d.Writes, *w)
	}
	for phase := 0; phase < 3; phase++ {
		for i := 0; i < nodes; i++ {
			node := fmt.Sprintf("node-%d", i)
			for j := 0; j < podsPerNode; j++ {
				name := fmt.Sprintf("p-%d-%d", i, j)
				p := &PodInfo{Namespace: "default", Name: name, Phase: "Pending"}
				from := "kube-controller-manager-node-0"
				switch phase {
				case 1:
					p.Node, from = node, "kube-scheduler-node-0"
				case 2:
					p.Node, p.Phase, p.IP, from = node, "Running", fmt.Sprintf("10.%d.%d.%d", i/250, i%250, j+2), "kubelet-"+node
				}
				add(from, "kube-apiserver-node-0", "request", "pods "+name, &Write{Key: "/registry/pods/default/" + name, Value: `{"kind":"Pod"}`, Pod: p})
			}
		}
	}
	return d
}

func TestPageStaysUsableAt1000Nodes(t *testing.T) {
	chromium(t)
	d := bigRun(1000, 10)
	url := writePage(t, d)
	b := newBrowser(t)
	start := time.Now()
	b.do(t, chromedp.Navigate(url+"#seq=1"), chromedp.WaitVisible(chromedp.CSS("#cluster .cell")))
	t.Logf("1,000 nodes, %d records, %d writes: the page loaded in %s (wall clock, informational; in the page, ms: %v)", len(d.Records), len(d.Writes), time.Since(start).Round(time.Millisecond), b.eval(t, "kubesimView.loadTimings()"))

	assert.EqualValues(t, 1000, b.eval(t, `document.querySelectorAll('#cluster .cell').length`), "one cell per node")
	assert.EqualValues(t, 0, b.eval(t, `document.querySelectorAll('#cluster .cell .pod').length`), "no pod drawn in the aggregated view")
	rows := b.eval(t, `document.querySelectorAll('#records-rows .row').length`).(float64)
	assert.Less(t, rows, 120.0, "the record list draws only what is in view")

	// The end of the run: open one node's cell and see its pods Running.
	last := d.Records[len(d.Records)-1].N
	b.do(t, chromedp.Navigate(fmt.Sprintf("%s#seq=%d", url, last)), chromedp.Click(chromedp.CSS(`#cluster .cell[data-node="node-777"]`)))
	assert.Equal(t, fmt.Sprint(last), b.text(t, "#seq"))
	assert.EqualValues(t, 10, b.eval(t, `document.querySelectorAll('#node-detail [data-node="node-777"] .pod[data-phase="Running"]').length`), "the opened node shows its pods")

	// Back to before the first binding: the pods are Pending and on no
	// node; the unscheduled list shows the first of them and a count.
	firstBind := uint64(1000*10 + 1)
	start = time.Now()
	b.do(t, chromedp.Navigate(fmt.Sprintf("%s#seq=%d", url, firstBind-1)), chromedp.Click(chromedp.CSS(`#cluster .cell[data-node="node-0"]`)))
	t.Logf("a jump back over %d writes took %s (wall clock, informational)", len(d.Writes)-int(firstBind), time.Since(start).Round(time.Millisecond))
	assert.EqualValues(t, 0, b.eval(t, `document.querySelectorAll('#node-detail .pod').length`))
	assert.EqualValues(t, 30, b.eval(t, `document.querySelectorAll('#cluster .outside .pod').length`))
	assert.Contains(t, b.text(t, "#cluster .outside"), "(10000)")
	b.do(t, chromedp.KeyEvent(kb.ArrowRight))
	assert.Equal(t, fmt.Sprint(firstBind), b.text(t, "#seq"))
	assert.True(t, b.present(t, `#node-detail [data-node="node-0"] [data-pod="default/p-0-0"]`), "the binding puts p-0-0 on node-0")
	b.noErrors(t)
}

// Everything works from the keyboard, and the text is readable: WCAG AA
// contrast (4.5:1) for the record list, the narration, pods' phases and
// the header.
func TestPageKeyboardAndContrast(t *testing.T) {
	d := firstFlow(t)
	bind := bindingOf(t, d, "default", "web")
	url := writePage(t, d)
	b := newBrowser(t)
	b.do(t, chromedp.Navigate(fmt.Sprintf("%s#seq=%d", url, bind.N)), loaded,
		chromedp.Focus(chromedp.CSS(`[data-pod="default/web"]`)), chromedp.KeyEvent(kb.Enter))
	assert.Equal(t, "/registry/pods/default/web", b.text(t, "#obj-name"), "Enter on a focused pod shows its object")
	assert.Contains(t, b.text(t, "#yaml"), "nodeName: "+bind.Pod.Node, "its YAML at that revision")
	assert.Contains(t, b.text(t, "#diff"), `spec.nodeName: "" -> "`+bind.Pod.Node+`"`, "and the diff the record made")
	b.do(t, chromedp.Focus(chromedp.CSS(fmt.Sprintf(`[data-node=%q] h4`, bind.Pod.Node))), chromedp.KeyEvent(kb.Enter))
	assert.Equal(t, "/registry/minions/"+bind.Pod.Node, b.text(t, "#obj-name"), "Enter on a node's title shows the Node")
	assert.Contains(t, b.text(t, "#yaml"), "kind: Node")

	const contrast = `(function () {
  function lum(c) { var m = c.match(/[\d.]+/g).map(Number); var a = m[3] === undefined ? 1 : m[3];
    var v = m.slice(0, 3).map(function (x) { x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
    return { l: 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2], a: a }; }
  function bg(e) { while (e) { var c = getComputedStyle(e).backgroundColor; if (lum(c).a > 0) return c; e = e.parentElement; } return 'rgb(255,255,255)'; }
  var worst = 99, what = '';
  document.querySelectorAll('.row, #narration, .pod span, header h1, #where, .actor, .node h4, figcaption').forEach(function (e) {
    if (!e.textContent.trim()) return;
    var f = lum(getComputedStyle(e).color).l, g = lum(bg(e)).l, r = (Math.max(f, g) + 0.05) / (Math.min(f, g) + 0.05);
    if (r < worst) { worst = r; what = e.className + ' ' + e.tagName; }
  });
  return [worst, what];
})()`
	got := b.eval(t, contrast).([]any)
	assert.GreaterOrEqual(t, got[0].(float64), 4.5, "the lowest contrast, of %v", got[1])
	b.noErrors(t)
}

// BenchmarkPageStep is one step of the cursor on the page of a 1,000-node
// run, in the browser: the render and the frame that paints it.
func BenchmarkPageStep(b *testing.B) {
	path := chromiumPath()
	if path == "" {
		b.Skip("no chromium binary")
	}
	d := bigRun(1000, 10)
	var buf bytes.Buffer
	if err := WriteHTML(&buf, d); err != nil {
		b.Fatal(err)
	}
	file := filepath.Join(b.TempDir(), "run.html")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), browserFlags(path, b.TempDir())...)
	defer cancelA()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+file+"#seq=15000"), chromedp.WaitVisible(chromedp.CSS("#cluster .cell"))); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	// Each step, then the frame that paints it: what a key press costs.
	ms, err := chromedp.Run(ctx, chromedp.Evaluate[float64](fmt.Sprintf(`(async function(){var t=performance.now(); for (var i=0;i<%d;i++) { kubesimView.seekN(15000 + (i%%2)); await new Promise(requestAnimationFrame); } return performance.now()-t})()`, b.N), chromedp.EvalAwaitPromise))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(ms/float64(b.N), "ms/step")
	parts, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]float64](`kubesimView.timings()`))
	if err != nil {
		b.Fatal(err)
	}
	for _, k := range []string{"list", "cluster", "object", "flow"} {
		b.ReportMetric(parts[k], "ms-"+k+"/last-step")
	}
}
