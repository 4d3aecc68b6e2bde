package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kubesim/kubesim/scenarios/chaos"
	"github.com/kubesim/kubesim/scenarios/drill"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestChaosFlags(t *testing.T) {
	for _, tc := range []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"unknown fault kind", []string{"chaos", "--faults", "kubelet,meteor"}, 2, `unknown fault kind "meteor" in --faults (valid kinds: control-plane, etcd, etcd-leader, kubelet, kube-proxy, cilium, coredns, node-power, partition, or all)`},
		{"bad duration", []string{"chaos", "--duration", "soon"}, 2, `invalid value "soon" for flag -duration`},
		{"zero duration", []string{"chaos", "--duration", "0s"}, 2, "--duration must be more than 0, got 0s"},
		{"bad flag", []string{"chaos", "--sed", "3"}, 2, "flag provided but not defined: -sed"},
		{"an argument", []string{"chaos", "seed-3"}, 2, `unexpected argument "seed-3"`},
		{"bad language", []string{"chaos", "--lang", "fr"}, 2, `unknown language "fr": expected en or ko`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := kubesim(t, "", tc.args...)
			assert.Equal(t, tc.wantCode, code)
			assert.Contains(t, errOut, tc.wantErr)
		})
	}
}

// --help lists every fault kind, in English and in Korean.
func TestChaosHelp(t *testing.T) {
	for _, lang := range []string{"en", "ko"} {
		out, _, code := kubesim(t, "", "chaos", "--help", "--lang", lang)
		require.Equal(t, 0, code)
		for _, k := range chaos.Kinds {
			assert.Contains(t, out, k.Name)
			if lang == "ko" {
				assert.Contains(t, out, k.Ko)
			} else {
				assert.Contains(t, out, k.Help)
			}
		}
	}
	out, _, _ := kubesim(t, "", "help")
	assert.Contains(t, out, "chaos")
}

// A short run passes (exit 0), prints a verdict per invariant, and writes
// its schedule as a drill file that reads back.
func TestChaosRunAndEmitDrill(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	file := filepath.Join(t.TempDir(), "chaos.yaml")
	out, errOut, code := kubesim(t, "", "chaos", "--seed", "2", "--duration", "1m", "--faults", "coredns,kube-proxy", "--emit-drill", file, "--lang", "ko")
	require.Equal(t, 0, code, "%s\n%s", out, errOut)
	assert.Contains(t, out, "통과 모두 복구됨")
	assert.Contains(t, out, "판정: 통과")
	dr, err := drill.Load(file)
	require.NoError(t, err)
	assert.Equal(t, "chaos-seed-2", dr.Name)
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Contains(t, string(data), "# Written by: kubesim chaos --seed 2 --duration 1m0s --faults kube-proxy,coredns")
}

// A run whose invariant fails exits 1 and prints the command that replays
// it.
func TestChaosFailureExitsOneWithTheReplayCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	chaosBreak = func(c *cluster.Cluster) { c.K.CutLink("node:worker-1", "node:worker-3") }
	defer func() { chaosBreak = nil }()
	out, errOut, code := kubesim(t, "", "chaos", "--seed", "3", "--duration", "1m", "--faults", "kubelet")
	require.Equal(t, 1, code, "%s\n%s", out, errOut)
	assert.Contains(t, out, "FAIL everything is healed: link node:worker-1 <-> node:worker-3 is cut")
	assert.Contains(t, out, "verdict: FAIL\nreplay it:\n  kubesim chaos --seed 3 --duration 1m0s --faults kubelet\n")
}
