package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/kubesim/kubesim/scenarios/narrate"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
)

// cmdComponents boots the default cluster and prints which component runs
// where, computed from the live kernel: every actor, grouped by component.
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
	writeComponents(stdout, cl.K.Actors(), lang)
	return 0
}

func writeComponents(w io.Writer, actors []sim.ActorInfo, lang narrate.Lang) {
	where := map[string][]string{}
	for _, a := range actors {
		place := a.Node
		if a.State != "running" {
			place += " (" + a.State + ")"
		}
		where[a.Component] = append(where[a.Component], place)
	}
	comps := make([]string, 0, len(where))
	for c := range where {
		comps = append(comps, c)
	}
	order := map[string]int{}
	for i, c := range narrate.Components() {
		order[c] = i
	}
	sort.Slice(comps, func(i, j int) bool {
		oi, iok := order[comps[i]]
		oj, jok := order[comps[j]]
		if iok != jok {
			return iok
		}
		if oi != oj {
			return oi < oj
		}
		return comps[i] < comps[j]
	})
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	if lang == narrate.Korean {
		fmt.Fprintln(tw, "컴포넌트\t역할\t실행 위치")
	} else {
		fmt.Fprintln(tw, "COMPONENT\tROLE\tRUNS ON")
	}
	for _, c := range comps {
		nodes := where[c]
		sort.Strings(nodes)
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c, narrate.Role(c, lang), strings.Join(nodes, ", "))
	}
	tw.Flush()
}
