package narrate

import (
	"fmt"
	"strings"

	"github.com/kubesim/kubesim/components/scheduler"
	"github.com/kubesim/kubesim/components/scheduler/plugins"
)

// criterionKo is the Korean for each candidate ordering rule.
var criterionKo = map[plugins.Criterion]string{
	plugins.ByOnlyCandidate:      "유일한 후보",
	plugins.ByPDBViolations:      "PDB 위반이 가장 적음",
	plugins.ByHighestPriority:    "가장 높은 희생자 우선순위가 가장 낮음",
	plugins.BySumOfPriorities:    "희생자 우선순위 합이 가장 작음",
	plugins.ByNumVictims:         "희생자가 가장 적음",
	plugins.ByLatestStartTime:    "가장 높은 우선순위 희생자의 시작 시각이 가장 늦음",
	plugins.ByFirstInDryRunOrder: "시험 실행 순서에서 처음",
}

// preemptionNote narrates DefaultPreemption's decision from its record.
func preemptionNote(b scheduler.PreemptionNote) Text {
	pod := b.Namespace + "/" + b.Name
	switch {
	case b.NotEligible == plugins.ErrReasonPreemptNever:
		return text("%s (priority %d) has preemptionPolicy: Never, so DefaultPreemption evicts nothing for it: it waits in the queue until room frees up by itself.",
			"%s(우선순위 %d)는 preemptionPolicy: Never 라서 DefaultPreemption이 아무것도 축출하지 않습니다. 자리가 저절로 날 때까지 큐에서 기다립니다.", pod, b.Priority)
	case b.NotEligible == plugins.ErrReasonTerminatingOnNominated:
		return text("%s does not preempt again: on its nominated node %s a lower-priority pod that preemption removes is still terminating (its graceful termination period), so it waits for that room.",
			"%s는 다시 선점하지 않습니다: 지명된 노드 %s에서 선점으로 지워지는 낮은 우선순위 파드가 아직 종료 중(유예 기간)이라, 그 자리를 기다립니다.", pod, b.NominatedNode)
	case b.NotEligible != "":
		return text("%s may not preempt: %s", "%s는 선점할 수 없습니다: %s", pod, b.NotEligible)
	case b.PotentialNodes == 0:
		return text("DefaultPreemption cannot help %s (priority %d): every one of the %d nodes rejected it for a reason that evicting pods does not change (a taint, a node selector or affinity, a cordon).",
			"DefaultPreemption이 %s(우선순위 %d)를 도울 수 없습니다: 노드 %d개 모두가 파드를 축출해도 바뀌지 않는 이유(taint, 노드 셀렉터나 어피니티, cordon)로 거절했습니다.", pod, b.Priority, b.AllNodes)
	case b.Chosen == "":
		return text("DefaultPreemption tries the %d node(s) where evicting pods might help %s (priority %d), but none is a candidate: on %d no pod has a lower priority, and on %d the pod would not fit even with all the lower-priority pods gone.",
			"DefaultPreemption이 파드 축출로 %[2]s(우선순위 %[3]d)를 도울 수 있을지 모르는 노드 %[1]d개를 시험하지만 후보가 없습니다: %[4]d개에는 우선순위가 더 낮은 파드가 없고, %[5]d개에서는 낮은 우선순위 파드를 모두 없애도 들어가지 않습니다.", b.PotentialNodes, pod, b.Priority, b.NoVictims, b.NotEnough)
	}
	var candEn, candKo []string
	var chosen plugins.Candidate
	for _, c := range b.Candidates {
		if c.Node == b.Chosen {
			chosen = c
		}
		en := fmt.Sprintf("%s (%d victim(s), %d PDB violation(s))", c.Node, len(c.Victims), c.NumPDBViolations)
		ko := fmt.Sprintf("%s(희생자 %d개, PDB 위반 %d개)", c.Node, len(c.Victims), c.NumPDBViolations)
		candEn, candKo = append(candEn, en), append(candKo, ko)
	}
	var vicEn, vicKo []string
	for _, v := range chosen.Victims {
		en := fmt.Sprintf("%s/%s (priority %d", v.Namespace, v.Name, v.Priority)
		ko := fmt.Sprintf("%s/%s(우선순위 %d", v.Namespace, v.Name, v.Priority)
		if v.PDB != "" {
			en += fmt.Sprintf("; its eviction violates PodDisruptionBudget %s, but no choice spares it", v.PDB)
			ko += fmt.Sprintf("; 축출하면 PodDisruptionBudget %s를 위반하지만 피할 방법이 없음", v.PDB)
		}
		vicEn, vicKo = append(vicEn, en+")"), append(vicKo, ko+")")
	}
	var t Text
	t.En = fmt.Sprintf("DefaultPreemption for %s (priority %d): of the %d node(s) where evicting lower-priority pods might help, the dry run (from a random offset, looking for %d) finds the candidates %s. It picks %s by the rule %q and preempts %s: each gets the DisruptionTarget condition and is deleted gracefully. %s is nominated to %s (status.nominatedNodeName) and binds there once the victims are gone; until then its requests count as used on %s for pods of lower or equal priority.",
		pod, b.Priority, b.PotentialNodes, b.NumCandidates, strings.Join(candEn, ", "), b.Chosen, string(b.DecidedBy), strings.Join(vicEn, ", "), pod, b.Chosen, b.Chosen)
	t.Ko = fmt.Sprintf("%[1]s(우선순위 %[2]d)를 위한 DefaultPreemption: 낮은 우선순위 파드를 축출하면 도움이 될 수 있는 노드 %[3]d개 중, 시험 실행(무작위 시작점, 목표 %[4]d개)이 후보 %[5]s를 찾습니다. 규칙 \"%[7]s\"로 %[6]s를 고르고 %[8]s를 선점합니다: 각 희생자에 DisruptionTarget 조건을 붙이고 정상 종료로 삭제합니다. %[1]s는 %[6]s에 지명되고(status.nominatedNodeName) 희생자가 사라지면 그곳에 바인딩됩니다. 그때까지 그 요청량은 우선순위가 같거나 낮은 파드에게 %[6]s에서 사용 중으로 계산됩니다.",
		pod, b.Priority, b.PotentialNodes, b.NumCandidates, strings.Join(candKo, ", "), b.Chosen, criterionKo[b.DecidedBy], strings.Join(vicKo, ", "))
	if len(b.ClearedNominations) > 0 {
		var names []string
		for _, n := range b.ClearedNominations {
			names = append(names, n.Namespace+"/"+n.Name)
		}
		t.En += fmt.Sprintf(" The lower-priority pod(s) %s nominated to %s lose that nomination.", strings.Join(names, ", "), b.Chosen)
		t.Ko += fmt.Sprintf(" %s에 지명되어 있던 낮은 우선순위 파드 %s는 지명을 잃습니다.", b.Chosen, strings.Join(names, ", "))
	}
	return t
}
