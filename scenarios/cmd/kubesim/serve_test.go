package main

import (
	"bytes"
	"os"
	"path/filepath"
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
			assert.Contains(t, string(b), "server: http://127.0.0.1:")
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
