package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/kubesim/kubesim/scenarios/narrate"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
)

// settleWithin bounds the wait for a booted cluster to settle.
const settleWithin = 5 * time.Minute

// cmdComponents boots the default cluster, lets it settle, and prints the
// table of components: for each, its role, where a real cluster runs it,
// and the nodes its actors run on now, read from the live kernel.
func cmdComponents(args []string, stdout, stderr io.Writer) int {
	var c common
	fs := newFlags("components", "components [--lang en|ko] [--seed N]", stderr, &c)
	if code, ok := parse(fs, args); !ok {
		return code
	}
	lang, err := narrate.ParseLang(c.lang)
	if err != nil {
		fmt.Fprintln(stderr, "kubesim:", err)
		return 2
	}
	cl, err := cluster.New(cluster.Config{Seed: c.seed, Addons: true})
	if err != nil {
		fmt.Fprintln(stderr, "kubesim:", err)
		return 1
	}
	defer cl.Stop()
	if !cl.WaitFor(cl.Settled, settleWithin) {
		fmt.Fprintf(stderr, "kubesim: the cluster did not settle within %s of virtual time (kube-system pods not all Running)\n", settleWithin)
		return 1
	}
	writeComponents(stdout, cl.K.Actors(), lang)
	if lang == narrate.Korean {
		fmt.Fprintf(stdout, "\n가상 시간 %s, 모든 노드가 Ready이고 kube-system의 모든 파드가 Running이 된 뒤의 모습입니다.\n", cl.K.Now())
	} else {
		fmt.Fprintf(stdout, "\nTaken at virtual time %s, once every node was Ready and every kube-system pod Running.\n", cl.K.Now())
	}
	return 0
}

// writeComponents prints one row per component of narrate.Table, with the
// nodes its running actors sit on. Actors of no component of the table
// (the nodes' kernels, kubesim's own machinery) are not components and
// are left out.
func writeComponents(w io.Writer, actors []sim.ActorInfo, lang narrate.Lang) {
	header := []string{"COMPONENT", "ROLE", "RUNS ON", "NODES NOW"}
	if lang == narrate.Korean {
		header = []string{"컴포넌트", "역할", "실행 위치", "지금 실행 중인 노드"}
	}
	rows := [][]string{header}
	for _, c := range narrate.Table() {
		var nodes []string
		for _, a := range actors {
			if a.Component == c.Name && a.State == "running" && !slices.Contains(nodes, a.Node) {
				nodes = append(nodes, a.Node)
			}
		}
		slices.Sort(nodes)
		now := strings.Join(nodes, ", ")
		if now == "" {
			now = "-"
		}
		rows = append(rows, []string{c.Title, c.Role.In(lang), c.RunsAs.In(lang), now})
	}
	writeTable(w, rows)
}
