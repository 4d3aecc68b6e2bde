package cilium

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReservedIdentities(t *testing.T) {
	a := NewIdentityAllocator()
	tests := []struct {
		id   NumericIdentity
		name string
	}{
		{1, "host"}, {2, "world"}, {3, "unmanaged"}, {4, "health"}, {5, "init"}, {6, "remote-node"}, {7, "kube-apiserver"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ident, ok := a.Lookup(tt.id)
			require.True(t, ok)
			assert.Equal(t, []string{"reserved:" + tt.name}, ident.Labels.Strings())
			assert.Equal(t, tt.name, tt.id.String())
			assert.True(t, tt.id.IsReserved())
		})
	}
}

func TestIdentityAllocation(t *testing.T) {
	a := NewIdentityAllocator()
	xwing := ParseLabels("k8s:org=alliance", "k8s:class=xwing", "k8s:io.kubernetes.pod.namespace=default")
	tie := ParseLabels("k8s:org=empire", "k8s:class=tiefighter", "k8s:io.kubernetes.pod.namespace=default")

	x1, isNew, err := a.Allocate(xwing)
	require.NoError(t, err)
	assert.True(t, isNew)
	assert.Equal(t, NumericIdentity(256), x1.ID, "allocation starts at 256")

	x2, isNew, err := a.Allocate(ParseLabels("k8s:io.kubernetes.pod.namespace=default", "k8s:class=xwing", "k8s:org=alliance"))
	require.NoError(t, err)
	assert.False(t, isNew, "same label set, same identity, whatever the order")
	assert.Equal(t, x1.ID, x2.ID)
	assert.Equal(t, 2, x2.RefCount)

	tf, _, err := a.Allocate(tie)
	require.NoError(t, err)
	assert.Equal(t, NumericIdentity(257), tf.ID)

	freed, err := a.Release(x1.ID)
	require.NoError(t, err)
	assert.False(t, freed, "one reference left")
	freed, err = a.Release(x1.ID)
	require.NoError(t, err)
	assert.True(t, freed)
	_, ok := a.Lookup(x1.ID)
	assert.False(t, ok)

	again, isNew, err := a.Allocate(ParseLabels("k8s:app=new"))
	require.NoError(t, err)
	assert.True(t, isNew)
	assert.Equal(t, NumericIdentity(256), again.ID, "the lowest free number is reused")

	_, err = a.Release(9999)
	assert.EqualError(t, err, "identity 9999 not found")
	freed, err = a.Release(IdentityWorld)
	require.NoError(t, err)
	assert.False(t, freed, "reserved identities are never released")
	assert.Len(t, a.List(), 8+2)
}
