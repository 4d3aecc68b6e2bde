package apiserver

import (
	"encoding/json"
	"testing"

	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestApplyJSONPatch(t *testing.T) {
	const doc = `{"metadata":{"labels":{"a/b":"1"}},"spec":{"replicas":1,"list":["x","y"]}}`
	tests := []struct {
		name, patch, want string
		wantCode          int32
		wantCause         string
	}{
		{name: "replace", patch: `[{"op":"replace","path":"/spec/replicas","value":3}]`, want: `{"metadata":{"labels":{"a/b":"1"}},"spec":{"replicas":3,"list":["x","y"]}}`},
		{name: "add appends with -", patch: `[{"op":"add","path":"/spec/list/-","value":"z"}]`, want: `{"metadata":{"labels":{"a/b":"1"}},"spec":{"replicas":1,"list":["x","y","z"]}}`},
		{name: "add inserts at an index", patch: `[{"op":"add","path":"/spec/list/0","value":"w"}]`, want: `{"metadata":{"labels":{"a/b":"1"}},"spec":{"replicas":1,"list":["w","x","y"]}}`},
		{name: "remove an escaped key", patch: `[{"op":"remove","path":"/metadata/labels/a~1b"}]`, want: `{"metadata":{"labels":{}},"spec":{"replicas":1,"list":["x","y"]}}`},
		{name: "remove from a list", patch: `[{"op":"remove","path":"/spec/list/0"}]`, want: `{"metadata":{"labels":{"a/b":"1"}},"spec":{"replicas":1,"list":["y"]}}`},
		{name: "move", patch: `[{"op":"move","from":"/spec/replicas","path":"/spec/count"}]`, want: `{"metadata":{"labels":{"a/b":"1"}},"spec":{"count":1,"list":["x","y"]}}`},
		{name: "copy", patch: `[{"op":"copy","from":"/spec/replicas","path":"/spec/count"}]`, want: `{"metadata":{"labels":{"a/b":"1"}},"spec":{"count":1,"replicas":1,"list":["x","y"]}}`},
		{name: "copy into itself", patch: `[{"op":"copy","from":"/spec","path":"/spec/copy"}]`, want: `{"metadata":{"labels":{"a/b":"1"}},"spec":{"replicas":1,"list":["x","y"],"copy":{"replicas":1,"list":["x","y"]}}}`},
		{name: "a copy is its own value", patch: `[{"op":"copy","from":"/spec/list","path":"/spec/list2"},{"op":"add","path":"/spec/list2/-","value":"z"}]`, want: `{"metadata":{"labels":{"a/b":"1"}},"spec":{"replicas":1,"list":["x","y"],"list2":["x","y","z"]}}`},
		{name: "test passes", patch: `[{"op":"test","path":"/spec/replicas","value":1}]`, want: doc},
		{name: "test fails", patch: `[{"op":"test","path":"/spec/replicas","value":2}]`, wantCode: 422, wantCause: "testing value /spec/replicas failed: test failed"},
		{name: "replace a missing key", patch: `[{"op":"replace","path":"/spec/foo","value":2}]`, wantCode: 422, wantCause: "replace operation does not apply: doc is missing key: /spec/foo"},
		{name: "not a list", patch: `{"op":"add"}`, wantCode: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d any
			require.NoError(t, json.Unmarshal([]byte(doc), &d))
			got, err := applyJSONPatch(d, []byte(tt.patch))
			if tt.wantCode != 0 {
				require.Error(t, err)
				assert.Equal(t, tt.wantCode, apierrors.CodeOf(err))
				if tt.wantCause != "" {
					se := err.(*apierrors.StatusError)
					assert.Equal(t, "the server rejected our request due to an error in our request", se.ErrStatus.Message)
					assert.Equal(t, tt.wantCause, se.ErrStatus.Details.Causes[0].Message)
				}
				return
			}
			require.NoError(t, err)
			b, _ := json.Marshal(got)
			assert.JSONEq(t, tt.want, string(b))
		})
	}
}
