package api

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFieldSelector(t *testing.T) {
	pod := &Pod{ObjectMeta: ObjectMeta{Name: "web", Namespace: "default"},
		Spec: PodSpec{NodeName: "node-1"}, Status: PodStatus{Phase: PodRunning}}
	fields := ObjectFields(pod)
	tests := []struct {
		in         string
		want       bool
		wantString string
		wantErr    string
	}{
		{in: "", want: true, wantString: ""},
		{in: "spec.nodeName=node-1", want: true, wantString: "spec.nodeName=node-1"},
		{in: "spec.nodeName==node-1", want: true, wantString: "spec.nodeName==node-1"},
		{in: "spec.nodeName!=node-1", want: false, wantString: "spec.nodeName!=node-1"},
		{in: "status.phase!=Running,metadata.name=web", want: false, wantString: "metadata.name=web,status.phase!=Running"},
		{in: "spec.nodeName=", want: false, wantString: "spec.nodeName="},
		{in: `metadata.name=a\,b`, want: false, wantString: `metadata.name=a\,b`},
		{in: "foo", wantErr: "invalid selector: 'foo'; can't understand 'foo'"},
		{in: "a=b,foo", wantErr: "invalid selector: 'a=b,foo'; can't understand 'foo'"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			s, err := ParseFieldSelector(tt.in)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Equal(t, tt.wantErr, err.Error())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, s.Matches(fields))
			assert.Equal(t, tt.wantString, s.String())
		})
	}

	s, _ := ParseFieldSelector("spec.nodeName=node-1")
	v, ok := s.RequiresExactMatch("spec.nodeName")
	assert.True(t, ok)
	assert.Equal(t, "node-1", v)
	require.NoError(t, s.Validate("Pod"))
	bad, _ := ParseFieldSelector("spec.foo=bar")
	assert.EqualError(t, bad.Validate("Pod"), "field label not supported: spec.foo")
	assert.EqualError(t, s.Validate("ConfigMap"), "field label not supported: spec.nodeName")
}
