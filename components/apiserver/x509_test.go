package apiserver_test

import (
	"testing"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apiwire"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestClientCertificateIsUserAndGroups: a verified client certificate is
// the user its CN names, in the groups its O names, plus
// system:authenticated; it wins over a bearer token, and an empty CN is
// refused, as kube-apiserver's x509 authenticator does.
func TestClientCertificateIsUserAndGroups(t *testing.T) {
	c := boot(t)
	cl := client.New(c.Kubectl(), "", c.APIServers...)
	do := func(cert *apiwire.ClientCertificate, token string, r apiwire.Request) (*apiwire.Response, error) {
		r.Certificate, r.Token = cert, token
		return cl.Do(&r)
	}
	alice := &apiwire.ClientCertificate{CommonName: "alice", Organization: []string{"kubesim:trainees"}}

	res, err := do(alice, "", apiwire.Request{Verb: apiwire.VerbCreate, Resource: "selfsubjectreviews",
		Object: &api.SelfSubjectReview{TypeMeta: api.TypeMeta{Kind: "SelfSubjectReview", APIVersion: "authentication.k8s.io/v1"}}})
	require.NoError(t, err)
	got := res.Object.(*api.SelfSubjectReview).Status.UserInfo
	assert.Equal(t, "alice", got.Username)
	assert.Equal(t, []string{"kubesim:trainees", "system:authenticated"}, got.Groups)

	_, err = do(alice, "", apiwire.Request{Verb: apiwire.VerbList, Resource: "pods", Namespace: "default"})
	assert.EqualError(t, err, `pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default"`)
	_, err = do(alice, cluster.AdminToken, apiwire.Request{Verb: apiwire.VerbList, Resource: "pods", Namespace: "default"})
	assert.Error(t, err, "the certificate, not the admin token, authenticates")

	_, err = do(&apiwire.ClientCertificate{CommonName: "kubernetes-admin", Organization: []string{"kubeadm:cluster-admins"}}, "", apiwire.Request{Verb: apiwire.VerbList, Resource: "nodes"})
	assert.NoError(t, err, "O=kubeadm:cluster-admins is bound to cluster-admin")

	_, err = do(&apiwire.ClientCertificate{Organization: []string{"system:masters"}}, "", apiwire.Request{Verb: apiwire.VerbList, Resource: "nodes"})
	assert.EqualError(t, err, "Unauthorized")
}
