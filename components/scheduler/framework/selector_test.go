package framework_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/scheduler/framework"
	st "github.com/kubesim/kubesim/components/scheduler/schedtest"
)

func TestSelector(t *testing.T) {
	labels := map[string]string{"app": "web", "tier": "front"}
	tests := []struct {
		name      string
		selector  *api.LabelSelector
		wantMatch bool
		wantEmpty bool
		wantErr   bool
	}{
		{name: "nil selects nothing", selector: nil, wantMatch: false},
		{name: "empty selects everything", selector: &api.LabelSelector{}, wantMatch: true, wantEmpty: true},
		{name: "matchLabels", selector: &api.LabelSelector{MatchLabels: map[string]string{"app": "web"}}, wantMatch: true},
		{name: "matchLabels mismatch", selector: &api.LabelSelector{MatchLabels: map[string]string{"app": "db"}}, wantMatch: false},
		{name: "labels and expressions are ANDed", selector: &api.LabelSelector{
			MatchLabels:      map[string]string{"app": "web"},
			MatchExpressions: []api.LabelSelectorRequirement{{Key: "tier", Operator: api.LabelSelectorOpIn, Values: []string{"back"}}},
		}, wantMatch: false},
		{name: "NotIn matches an absent label", selector: &api.LabelSelector{
			MatchExpressions: []api.LabelSelectorRequirement{{Key: "env", Operator: api.LabelSelectorOpNotIn, Values: []string{"prod"}}},
		}, wantMatch: true},
		{name: "DoesNotExist", selector: &api.LabelSelector{
			MatchExpressions: []api.LabelSelectorRequirement{{Key: "tier", Operator: api.LabelSelectorOpDoesNotExist}},
		}, wantMatch: false},
		{name: "In without values is invalid and selects nothing", selector: &api.LabelSelector{
			MatchExpressions: []api.LabelSelectorRequirement{{Key: "app", Operator: api.LabelSelectorOpIn}},
		}, wantMatch: false, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := framework.NewSelector(tc.selector)
			assert.Equal(t, tc.wantErr, err != nil, "error: %v", err)
			assert.Equal(t, tc.wantMatch, s.Matches(labels))
			assert.Equal(t, tc.wantEmpty, s.Empty())
		})
	}
}

func TestRequiredNodeAffinity(t *testing.T) {
	node := st.MakeNode("node-1").Label("zone", "a").Label("disk", "ssd").Label("cores", "16").Obj()
	in := func(k string, v ...string) api.NodeSelectorRequirement {
		return st.Expr(k, api.NodeSelectorOpIn, v...)
	}
	tests := []struct {
		name string
		pod  *api.Pod
		want bool
	}{
		{name: "no constraints", pod: st.MakePod("p").Obj(), want: true},
		{name: "nodeSelector matches", pod: st.MakePod("p").NodeSelector(map[string]string{"zone": "a"}).Obj(), want: true},
		{name: "nodeSelector mismatch", pod: st.MakePod("p").NodeSelector(map[string]string{"zone": "b"}).Obj(), want: false},
		{name: "one term, expressions ANDed, all hold",
			pod: st.MakePod("p").RequiredNodeAffinity(st.Term(in("zone", "a"), in("disk", "ssd"))).Obj(), want: true},
		{name: "one term, expressions ANDed, one fails",
			pod: st.MakePod("p").RequiredNodeAffinity(st.Term(in("zone", "a"), in("disk", "hdd"))).Obj(), want: false},
		{name: "terms ORed, the second matches",
			pod: st.MakePod("p").RequiredNodeAffinity(st.Term(in("zone", "b"))).RequiredNodeAffinity(st.Term(in("disk", "ssd"))).Obj(), want: true},
		{name: "terms ORed, none matches",
			pod: st.MakePod("p").RequiredNodeAffinity(st.Term(in("zone", "b"))).RequiredNodeAffinity(st.Term(in("disk", "hdd"))).Obj(), want: false},
		{name: "an empty term matches nothing",
			pod: st.MakePod("p").RequiredNodeAffinity(api.NodeSelectorTerm{}).Obj(), want: false},
		{name: "an empty term does not hide a matching one",
			pod: st.MakePod("p").RequiredNodeAffinity(api.NodeSelectorTerm{}).RequiredNodeAffinity(st.Term(in("zone", "a"))).Obj(), want: true},
		{name: "nodeSelector AND affinity: affinity fails",
			pod: st.MakePod("p").NodeSelector(map[string]string{"zone": "a"}).RequiredNodeAffinity(st.Term(in("disk", "hdd"))).Obj(), want: false},
		{name: "nodeSelector AND affinity: selector fails",
			pod: st.MakePod("p").NodeSelector(map[string]string{"zone": "b"}).RequiredNodeAffinity(st.Term(in("disk", "ssd"))).Obj(), want: false},
		{name: "nodeSelector AND affinity: both hold",
			pod: st.MakePod("p").NodeSelector(map[string]string{"zone": "a"}).RequiredNodeAffinity(st.Term(in("disk", "ssd"))).Obj(), want: true},
		{name: "NotIn and DoesNotExist",
			pod: st.MakePod("p").RequiredNodeAffinity(st.Term(st.Expr("zone", api.NodeSelectorOpNotIn, "b"), st.Expr("gpu", api.NodeSelectorOpDoesNotExist))).Obj(), want: true},
		{name: "Gt", pod: st.MakePod("p").RequiredNodeAffinity(st.Term(st.Expr("cores", api.NodeSelectorOpGt, "8"))).Obj(), want: true},
		{name: "Lt", pod: st.MakePod("p").RequiredNodeAffinity(st.Term(st.Expr("cores", api.NodeSelectorOpLt, "8"))).Obj(), want: false},
		{name: "Gt with a non-integer value matches nothing",
			pod: st.MakePod("p").RequiredNodeAffinity(st.Term(st.Expr("cores", api.NodeSelectorOpGt, "many"))).Obj(), want: false},
		{name: "matchFields metadata.name",
			pod: st.MakePod("p").RequiredNodeAffinity(api.NodeSelectorTerm{MatchFields: []api.NodeSelectorRequirement{in(framework.NodeNameField, "node-1")}}).Obj(), want: true},
		{name: "matchFields metadata.name, other node",
			pod: st.MakePod("p").RequiredNodeAffinity(api.NodeSelectorTerm{MatchFields: []api.NodeSelectorRequirement{in(framework.NodeNameField, "node-2")}}).Obj(), want: false},
		{name: "matchFields on another field is invalid",
			pod: st.MakePod("p").RequiredNodeAffinity(api.NodeSelectorTerm{MatchFields: []api.NodeSelectorRequirement{in("metadata.uid", "x")}}).Obj(), want: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := framework.GetRequiredNodeAffinity(tc.pod)
			assert.Equal(t, tc.want, r.Match(node))
		})
	}
}

func TestPreferredSchedulingTermsScore(t *testing.T) {
	node := st.MakeNode("n").Label("zone", "a").Label("disk", "ssd").Obj()
	terms, err := framework.NewPreferredSchedulingTerms([]api.PreferredSchedulingTerm{
		{Weight: 5, Preference: st.Term(st.Expr("zone", api.NodeSelectorOpIn, "a"))},
		{Weight: 3, Preference: st.Term(st.Expr("disk", api.NodeSelectorOpIn, "hdd"))},
		{Weight: 7, Preference: st.Term(st.Expr("disk", api.NodeSelectorOpExists))},
		{Weight: 100, Preference: api.NodeSelectorTerm{}},
	})
	assert.NoError(t, err)
	assert.Equal(t, int64(12), terms.Score(node))
}

func TestTolerations(t *testing.T) {
	taint := api.Taint{Key: "dedicated", Value: "gpu", Effect: api.TaintEffectNoSchedule}
	tests := []struct {
		name       string
		toleration api.Toleration
		want       bool
	}{
		{name: "Equal, same key, value and effect", toleration: api.Toleration{Key: "dedicated", Operator: api.TolerationOpEqual, Value: "gpu", Effect: api.TaintEffectNoSchedule}, want: true},
		{name: "empty operator means Equal", toleration: api.Toleration{Key: "dedicated", Value: "gpu"}, want: true},
		{name: "Equal, other value", toleration: api.Toleration{Key: "dedicated", Operator: api.TolerationOpEqual, Value: "cpu"}, want: false},
		{name: "Exists ignores the value", toleration: api.Toleration{Key: "dedicated", Operator: api.TolerationOpExists}, want: true},
		{name: "Exists, other key", toleration: api.Toleration{Key: "other", Operator: api.TolerationOpExists}, want: false},
		{name: "empty key with Exists tolerates everything", toleration: api.Toleration{Operator: api.TolerationOpExists}, want: true},
		{name: "empty effect matches every effect", toleration: api.Toleration{Key: "dedicated", Operator: api.TolerationOpExists}, want: true},
		{name: "other effect", toleration: api.Toleration{Key: "dedicated", Operator: api.TolerationOpExists, Effect: api.TaintEffectNoExecute}, want: false},
		{name: "unknown operator", toleration: api.Toleration{Key: "dedicated", Operator: "Gt", Value: "gpu"}, want: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, framework.ToleratesTaint(&tc.toleration, &taint))
		})
	}
}
