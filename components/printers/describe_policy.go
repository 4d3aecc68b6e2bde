package printers

import (
	"fmt"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
)

// The describers of policy, scheduling, networking and autoscaling kinds:
// PodDisruptionBudgets, PriorityClasses, NetworkPolicies and
// HorizontalPodAutoscalers in kubectl's layout.

func init() {
	registerDescriber("poddisruptionbudgets", describePDB)
	registerDescriber("priorityclasses", describePriorityClass)
	registerDescriber("networkpolicies", describeNetworkPolicy)
	registerDescriber("horizontalpodautoscalers", describeHPA)
}

func describePDB(w prefixWriter, obj api.Object, events []api.Event, now time.Time, _ Lister) {
	pdb := obj.(*api.PodDisruptionBudget)
	w.line(0, "Name:\t%s\n", pdb.Name)
	w.line(0, "Namespace:\t%s\n", pdb.Namespace)
	if pdb.Spec.MinAvailable != nil {
		w.line(0, "Min available:\t%s\n", pdb.Spec.MinAvailable.String())
	} else if pdb.Spec.MaxUnavailable != nil {
		w.line(0, "Max unavailable:\t%s\n", pdb.Spec.MaxUnavailable.String())
	}
	if pdb.Spec.Selector != nil {
		w.line(0, "Selector:\t%s\n", api.FormatLabelSelector(pdb.Spec.Selector))
	} else {
		w.line(0, "Selector:\t<unset>\n")
	}
	w.line(0, "Status:\n")
	w.line(2, "Allowed disruptions:\t%d\n", pdb.Status.DisruptionsAllowed)
	w.line(2, "Current:\t%d\n", pdb.Status.CurrentHealthy)
	w.line(2, "Desired:\t%d\n", pdb.Status.DesiredHealthy)
	w.line(2, "Total:\t%d\n", pdb.Status.ExpectedPods)
	describeEvents(w, events, now)
}

func describePriorityClass(w prefixWriter, obj api.Object, events []api.Event, now time.Time, _ Lister) {
	pc := obj.(*api.PriorityClass)
	w.line(0, "Name:\t%s\n", pc.Name)
	w.line(0, "Value:\t%v\n", pc.Value)
	w.line(0, "GlobalDefault:\t%v\n", pc.GlobalDefault)
	policy := ""
	if pc.PreemptionPolicy != nil {
		policy = string(*pc.PreemptionPolicy)
	}
	w.line(0, "PreemptionPolicy:\t%s\n", policy)
	w.line(0, "Description:\t%s\n", pc.Description)
	w.line(0, "Annotations:\t%s\n", formatLabels(pc.Annotations))
	describeEvents(w, events, now)
}

// describeNetworkPolicy prints the policy as kubectl does; kubectl shows
// no events for a NetworkPolicy.
func describeNetworkPolicy(w prefixWriter, obj api.Object, _ []api.Event, _ time.Time, _ Lister) {
	np := obj.(*api.NetworkPolicy)
	w.line(0, "Name:\t%s\n", np.Name)
	w.line(0, "Namespace:\t%s\n", np.Namespace)
	// metav1.Time prints as Go's time.Time does.
	w.line(0, "Created on:\t%s\n", np.CreationTimestamp.Time.String())
	multiline(w, "Labels", np.Labels)
	annotations(w, "Annotations", np.Annotations)
	w.line(0, "Spec:\n")
	w.line(1, "PodSelector: ")
	if len(np.Spec.PodSelector.MatchLabels) == 0 && len(np.Spec.PodSelector.MatchExpressions) == 0 {
		w.line(2, "<none> (Allowing the specific traffic to all pods in this namespace)\n")
	} else {
		w.line(2, "%s\n", api.FormatLabelSelector(&np.Spec.PodSelector))
	}
	var ingress, egress bool
	var types []string
	for _, t := range np.Spec.PolicyTypes {
		ingress = ingress || t == api.PolicyTypeIngress
		egress = egress || t == api.PolicyTypeEgress
		types = append(types, string(t))
	}
	const indent = "    "
	if ingress {
		w.line(1, "Allowing ingress traffic:\n")
		if len(np.Spec.Ingress) == 0 {
			w.line(0, "%s<none> (Selected pods are isolated for ingress connectivity)\n", indent)
		}
		for i, r := range np.Spec.Ingress {
			policyPorts(w, r.Ports, indent)
			policyPeers(w, r.From, "From", "source", indent)
			if i != len(np.Spec.Ingress)-1 {
				w.line(0, "%s----------\n", indent)
			}
		}
	} else {
		w.line(1, "Not affecting ingress traffic\n")
	}
	if egress {
		w.line(1, "Allowing egress traffic:\n")
		if len(np.Spec.Egress) == 0 {
			w.line(0, "%s<none> (Selected pods are isolated for egress connectivity)\n", indent)
		}
		for i, r := range np.Spec.Egress {
			policyPorts(w, r.Ports, indent)
			policyPeers(w, r.To, "To", "destination", indent)
			if i != len(np.Spec.Egress)-1 {
				w.line(0, "%s----------\n", indent)
			}
		}
	} else {
		w.line(1, "Not affecting egress traffic\n")
	}
	w.line(1, "Policy Types: %v\n", orNone(strings.Join(types, ", ")))
}

func policyPorts(w prefixWriter, ports []api.NetworkPolicyPort, indent string) {
	if len(ports) == 0 {
		w.line(0, "%sTo Port: <any> (traffic allowed to all ports)\n", indent)
		return
	}
	for _, p := range ports {
		proto := api.ProtocolTCP
		if p.Protocol != nil {
			proto = *p.Protocol
		}
		port := "<nil>"
		if p.Port != nil {
			port = p.Port.String()
		}
		if p.EndPort == nil {
			w.line(0, "%sTo Port: %s/%s\n", indent, port, proto)
		} else {
			w.line(0, "%sTo Port Range: %s-%d/%s\n", indent, port, *p.EndPort, proto)
		}
	}
}

func policyPeers(w prefixWriter, peers []api.NetworkPolicyPeer, title, what, indent string) {
	if len(peers) == 0 {
		w.line(0, "%s%s: <any> (traffic not restricted by %s)\n", indent, title, what)
		return
	}
	for _, p := range peers {
		w.line(0, "%s%s:\n", indent, title)
		switch {
		case p.PodSelector != nil && p.NamespaceSelector != nil:
			w.line(1, "%sNamespaceSelector: %s\n", indent, api.FormatLabelSelector(p.NamespaceSelector))
			w.line(1, "%sPodSelector: %s\n", indent, api.FormatLabelSelector(p.PodSelector))
		case p.PodSelector != nil:
			w.line(1, "%sPodSelector: %s\n", indent, api.FormatLabelSelector(p.PodSelector))
		case p.NamespaceSelector != nil:
			w.line(1, "%sNamespaceSelector: %s\n", indent, api.FormatLabelSelector(p.NamespaceSelector))
		case p.IPBlock != nil:
			w.line(1, "%sIPBlock:\n", indent)
			w.line(2, "%sCIDR: %s\n", indent, p.IPBlock.CIDR)
			w.line(2, "%sExcept: %v\n", indent, strings.Join(p.IPBlock.Except, ", "))
		}
	}
}

func quantityText(q *api.Quantity) string {
	if q == nil {
		return "<nil>"
	}
	return q.String()
}

func describeHPA(w prefixWriter, obj api.Object, events []api.Event, now time.Time, _ Lister) {
	h := obj.(*api.HorizontalPodAutoscaler)
	w.line(0, "Name:\t%s\n", h.Name)
	w.line(0, "Namespace:\t%s\n", h.Namespace)
	multiline(w, "Labels", h.Labels)
	annotations(w, "Annotations", h.Annotations)
	w.line(0, "CreationTimestamp:\t%s\n", h.CreationTimestamp.Time.Format(describeTime))
	w.line(0, "Reference:\t%s/%s\n", h.Spec.ScaleTargetRef.Kind, h.Spec.ScaleTargetRef.Name)
	w.line(0, "Metrics:\t( current / target )\n")
	for i, m := range h.Spec.Metrics {
		var cur *api.ResourceMetricStatus
		if i < len(h.Status.CurrentMetrics) {
			cur = h.Status.CurrentMetrics[i].Resource
		}
		switch {
		case m.Type == api.ResourceMetricSourceType && m.Resource != nil:
			w.line(1, "resource %s on pods", m.Resource.Name)
			if m.Resource.Target.AverageValue != nil {
				current := "<unknown>"
				if cur != nil {
					current = quantityText(cur.Current.AverageValue)
				}
				w.line(0, ":\t%s / %s\n", current, m.Resource.Target.AverageValue.String())
				continue
			}
			current := "<unknown>"
			if cur != nil && cur.Current.AverageUtilization != nil {
				current = fmt.Sprintf("%d%% (%s)", *cur.Current.AverageUtilization, quantityText(cur.Current.AverageValue))
			}
			target := "<auto>"
			if m.Resource.Target.AverageUtilization != nil {
				target = fmt.Sprintf("%d%%", *m.Resource.Target.AverageUtilization)
			}
			w.line(1, "(as a percentage of request):\t%s / %s\n", current, target)
		default:
			w.line(1, "<unknown metric type %q>\n", string(m.Type))
		}
	}
	w.line(0, "Min replicas:\t%s\n", int32OrUnset(h.Spec.MinReplicas))
	w.line(0, "Max replicas:\t%d\n", h.Spec.MaxReplicas)
	if b := h.Spec.Behavior; b != nil {
		w.line(0, "Behavior:\n")
		scalingRules(w, "Scale Up", b.ScaleUp)
		scalingRules(w, "Scale Down", b.ScaleDown)
	}
	w.line(0, "%s pods:\t", h.Spec.ScaleTargetRef.Kind)
	w.line(0, "%d current / %d desired\n", h.Status.CurrentReplicas, h.Status.DesiredReplicas)
	if len(h.Status.Conditions) > 0 {
		w.line(0, "Conditions:\n")
		w.line(1, "Type\tStatus\tReason\tMessage\n")
		w.line(1, "----\t------\t------\t-------\n")
		for _, c := range h.Status.Conditions {
			w.line(1, "%v\t%v\t%v\t%v\n", c.Type, c.Status, c.Reason, c.Message)
		}
	}
	describeEvents(w, events, now)
}

func scalingRules(w prefixWriter, direction string, r *api.HPAScalingRules) {
	if r == nil {
		return
	}
	w.line(1, "%s:\n", direction)
	if r.StabilizationWindowSeconds != nil {
		w.line(2, "Stabilization Window: %d seconds\n", *r.StabilizationWindowSeconds)
	}
	if len(r.Policies) > 0 {
		sel := api.MaxChangePolicySelect
		if r.SelectPolicy != nil {
			sel = *r.SelectPolicy
		}
		w.line(2, "Select Policy: %s\n", sel)
		w.line(2, "Policies:\n")
		for _, p := range r.Policies {
			w.line(3, "- Type: %s\tValue: %d\tPeriod: %d seconds\n", p.Type, p.Value, p.PeriodSeconds)
		}
	}
}
