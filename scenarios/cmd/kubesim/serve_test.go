package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestServeWritesKubeconfigAndStopsAtEOF(t *testing.T) {
	for _, lang := range []string{"en", "ko"} {
		t.Run(lang, func(t *testing.T) {
			kc := filepath.Join(t.TempDir(), "kubesim.kubeconfig")
			var out, errb bytes.Buffer
			code := cmdServe([]string{"--paused", "--lang", lang, "--kubeconfig", kc}, strings.NewReader("time\n"), &out, &errb)
			require.Equal(t, 0, code, errb.String())
			b, err := os.ReadFile(kc)
			require.NoError(t, err)
			assert.Contains(t, string(b), "server: https://127.0.0.1:")
			assert.Contains(t, out.String(), "export KUBECONFIG="+kc)
			if lang == "ko" {
				assert.Contains(t, out.String(), "가상 시간은 멈춰 있습니다")
			} else {
				assert.Contains(t, out.String(), "Virtual time is paused")
				assert.Contains(t, out.String(), ", paused\n")
			}
		})
	}
}

func TestServeFlags(t *testing.T) {
	for _, args := range [][]string{{"--speed", "0"}, {"--show", "some"}, {"--lang", "fr"}, {"extra"}} {
		var out, errb bytes.Buffer
		assert.Equal(t, 2, cmdServe(args, strings.NewReader(""), &out, &errb), "%v", args)
		assert.NotEmpty(t, errb.String())
	}
}

func TestServeRefusesNonLoopbackUnlessAcknowledged(t *testing.T) {
	var out, errb bytes.Buffer
	assert.Equal(t, 2, cmdServe([]string{"--listen", "0.0.0.0:0", "--kubeconfig", filepath.Join(t.TempDir(), "kc")}, strings.NewReader(""), &out, &errb))
	assert.Contains(t, errb.String(), "0.0.0.0:0 is not a loopback address")
	assert.Contains(t, errb.String(), "--allow-non-loopback")

	errb.Reset()
	code := cmdServe([]string{"--paused", "--listen", "0.0.0.0:0", "--allow-non-loopback", "--kubeconfig", filepath.Join(t.TempDir(), "kc")}, strings.NewReader("quit\n"), &out, &errb)
	assert.Equal(t, 0, code, errb.String())
	assert.Contains(t, errb.String(), "kubesim: warning: 0.0.0.0:0 is not a loopback address: other machines can reach it.")
}

// The banner prints a one-time link to the web view; `ui` at the prompt
// prints a new one.
func TestServePrintsTheWebViewsLink(t *testing.T) {
	for _, lang := range []string{"en", "ko"} {
		var out, errb bytes.Buffer
		code := cmdServe([]string{"--paused", "--lang", lang, "--kubeconfig", filepath.Join(t.TempDir(), "kc")}, strings.NewReader("ui\nhelp\nquit\n"), &out, &errb)
		require.Equal(t, 0, code, errb.String())
		links := regexp.MustCompile(`https://127\.0\.0\.1:\d+/ui/\?code=kubesim-[0-9a-f]+`).FindAllString(out.String(), -1)
		require.Len(t, links, 2, "the banner's link and the prompt's: %s", out.String())
		assert.NotEqual(t, links[0], links[1], "a new link each time")
		assert.Contains(t, out.String(), "  ui ", "help lists the ui command")
	}
}
