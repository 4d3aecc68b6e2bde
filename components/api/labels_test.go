package api

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseSelector(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		wantString string
		wantErr    string
	}{
		{name: "empty", in: "", wantString: ""},
		{name: "equality", in: "app=web", wantString: "app=web"},
		{name: "double equals", in: "app==web", wantString: "app==web"},
		{name: "all forms sorted by key", in: "a=b,c!=d,e in (y,x),f notin (z),g,!h",
			wantString: "a=b,c!=d,e in (x,y),f notin (z),g,!h"},
		{name: "sorted by key", in: "z=1,a=2", wantString: "a=2,z=1"},
		{name: "spaces", in: " app = web , tier in ( fe , be ) ", wantString: "app=web,tier in (be,fe)"},
		{name: "gt lt", in: "cpu>3,mem<4", wantString: "cpu>3,mem<4"},
		{name: "empty value", in: "a=", wantString: "a="},
		{name: "prefixed key", in: "kubernetes.io/hostname=n1", wantString: "kubernetes.io/hostname=n1"},
		{name: "in as key", in: "in=1", wantString: "in=1"},
		{name: "trailing comma", in: "a=b,", wantErr: "found '', expected: identifier after ','"},
		{name: "bad start", in: ",a", wantErr: "found ',', expected: !, identifier, or 'end of string'"},
		{name: "bad operator", in: "a b", wantErr: "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"},
		{name: "missing paren", in: "a in x", wantErr: "unable to parse requirement: found 'x' expected: '('"},
		{name: "unclosed", in: "a in (x", wantErr: "unable to parse requirement: found '', expected: ',' or ')'"},
		{name: "negated with value", in: "!a=b", wantErr: "found '=', expected: ',' or 'end of string'"},
		{name: "bang alone", in: "!", wantErr: "unable to parse requirement: found '', expected: identifier"},
		{name: "gt not integer", in: "a>b", wantErr: `unable to parse requirement: values[0]: Invalid value: "b": for 'Gt', 'Lt' operators, the value must be an integer`},
		{name: "bad value", in: "a=-x", wantErr: `unable to parse requirement: values[0][a]: Invalid value: "-x": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`},
		{name: "bad key", in: "-a=x", wantErr: `unable to parse requirement: key: Invalid value: "-a": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseSelector(tt.in)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Equal(t, tt.wantErr, err.Error())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantString, s.String())
			// The printed form parses back to the same selector.
			again, err := ParseSelector(s.String())
			require.NoError(t, err)
			assert.Equal(t, s.String(), again.String())
		})
	}
}

func TestSelectorMatches(t *testing.T) {
	labels := map[string]string{"app": "web", "tier": "fe", "cpu": "8"}
	tests := []struct {
		sel  string
		want bool
	}{
		{"", true},
		{"app=web", true},
		{"app=db", false},
		{"app!=db", true},
		{"missing!=x", true},
		{"tier in (fe,be)", true},
		{"tier notin (fe)", false},
		{"missing notin (x)", true},
		{"missing in (x)", false},
		{"app", true},
		{"!app", false},
		{"!missing", true},
		{"cpu>4", true},
		{"cpu<4", false},
		{"app>1", false},
		{"app=web,tier=be", false},
	}
	for _, tt := range tests {
		t.Run(tt.sel, func(t *testing.T) {
			s := MustParseSelector(tt.sel)
			assert.Equal(t, tt.want, s.Matches(labels))
		})
	}
}

func TestLabelSelectorAsSelector(t *testing.T) {
	labels := map[string]string{"app": "web"}
	assert.False(t, SelectorMatches(nil, labels), "nil selects nothing")
	assert.False(t, SelectorMatches(nil, nil), "nil selects nothing")
	assert.True(t, SelectorMatches(&LabelSelector{}, labels), "empty selects everything")
	assert.True(t, SelectorMatches(&LabelSelector{}, nil), "empty selects everything")

	ls := &LabelSelector{
		MatchLabels: map[string]string{"app": "web"},
		MatchExpressions: []LabelSelectorRequirement{
			{Key: "tier", Operator: LabelSelectorOpIn, Values: []string{"fe", "be"}},
			{Key: "canary", Operator: LabelSelectorOpDoesNotExist},
		},
	}
	assert.True(t, SelectorMatches(ls, map[string]string{"app": "web", "tier": "be"}))
	assert.False(t, SelectorMatches(ls, map[string]string{"app": "web", "tier": "be", "canary": "1"}))
	assert.False(t, SelectorMatches(ls, map[string]string{"app": "web"}))
	assert.Equal(t, "app=web,!canary,tier in (be,fe)", FormatLabelSelector(ls))
	assert.Equal(t, "<none>", FormatLabelSelector(&LabelSelector{}))
	assert.Equal(t, "<error>", FormatLabelSelector(&LabelSelector{MatchExpressions: []LabelSelectorRequirement{{Key: "a", Operator: "Gt"}}}))

	_, err := LabelSelectorAsSelector(&LabelSelector{MatchExpressions: []LabelSelectorRequirement{{Key: "a", Operator: "Gt", Values: []string{"1"}}}})
	require.Error(t, err)
	assert.Equal(t, `"Gt" is not a valid label selector operator`, err.Error())
	_, err = LabelSelectorAsSelector(&LabelSelector{MatchExpressions: []LabelSelectorRequirement{{Key: "a", Operator: "In"}}})
	require.Error(t, err)
	assert.Equal(t, `values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty`, err.Error())
}

func TestNodeSelector(t *testing.T) {
	labels := map[string]string{LabelHostname: "n1", LabelTopologyZone: "a", "gpus": "4"}
	req := func(k string, op NodeSelectorOperator, v ...string) NodeSelectorRequirement {
		return NodeSelectorRequirement{Key: k, Operator: op, Values: v}
	}
	tests := []struct {
		name string
		r    NodeSelectorRequirement
		want bool
	}{
		{"in", req(LabelTopologyZone, NodeSelectorOpIn, "a", "b"), true},
		{"in miss", req(LabelTopologyZone, NodeSelectorOpIn, "c"), false},
		{"notin", req(LabelTopologyZone, NodeSelectorOpNotIn, "c"), true},
		{"notin absent", req("x", NodeSelectorOpNotIn, "c"), true},
		{"exists", req("gpus", NodeSelectorOpExists), true},
		{"does not exist", req("gpus", NodeSelectorOpDoesNotExist), false},
		{"gt", req("gpus", NodeSelectorOpGt, "3"), true},
		{"gt equal", req("gpus", NodeSelectorOpGt, "4"), false},
		{"lt", req("gpus", NodeSelectorOpLt, "5"), true},
		{"lt absent", req("x", NodeSelectorOpLt, "5"), false},
		{"gt two values is invalid", req("gpus", NodeSelectorOpGt, "1", "2"), false},
		{"gt non-integer", req("gpus", NodeSelectorOpGt, "x"), false},
		{"unknown operator", req("gpus", "Near", "x"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.r.Matches(labels))
		})
	}

	empty := NodeSelectorTerm{}
	assert.False(t, empty.Matches(labels, "n1"), "an empty term matches nothing")
	byName := NodeSelectorTerm{MatchFields: []NodeSelectorRequirement{req("metadata.name", NodeSelectorOpIn, "n1")}}
	assert.True(t, byName.Matches(labels, "n1"))
	assert.False(t, byName.Matches(labels, "n2"))
	both := NodeSelectorTerm{
		MatchExpressions: []NodeSelectorRequirement{req(LabelTopologyZone, NodeSelectorOpIn, "b")},
		MatchFields:      []NodeSelectorRequirement{req("metadata.name", NodeSelectorOpIn, "n1")},
	}
	assert.False(t, both.Matches(labels, "n1"), "expressions and fields are ANDed")
	ns := &NodeSelector{NodeSelectorTerms: []NodeSelectorTerm{both, byName}}
	assert.True(t, ns.Matches(labels, "n1"), "terms are ORed")
	assert.False(t, (&NodeSelector{}).Matches(labels, "n1"))
	var nilSel *NodeSelector
	assert.True(t, nilSel.Matches(labels, "n1"))
}
