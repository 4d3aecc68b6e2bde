package apiserver_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/components/api"
)

func cronTabCRD(name string) *api.CustomResourceDefinition {
	crd := &api.CustomResourceDefinition{}
	crd.Name = name
	crd.Spec = api.CustomResourceDefinitionSpec{
		Group: "stable.example.com", Scope: api.NamespaceScoped,
		Names:    api.CustomResourceDefinitionNames{Plural: "crontabs", Singular: "crontab", Kind: "CronTab", ShortNames: []string{"ct"}},
		Versions: []api.CustomResourceDefinitionVersion{{Name: "v1", Served: true, Storage: true}},
	}
	return crd
}

func TestCustomResourceDefinitionIsValidated(t *testing.T) {
	c := boot(t)
	_, err := c.Admin.Create(cronTabCRD("crontabs.stable.example.com"))
	require.NoError(t, err)

	_, err = c.Admin.Create(cronTabCRD("crontab"))
	assert.EqualError(t, err, `CustomResourceDefinition.apiextensions.k8s.io "crontab" is invalid: metadata.name: Invalid value: "crontab": must be spec.names.plural+"."+spec.group`)
}
