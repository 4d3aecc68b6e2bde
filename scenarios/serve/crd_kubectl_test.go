package serve

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The CronTab of the kubernetes.io "Extend the Kubernetes API with
// CustomResourceDefinitions" page, with its printer columns, a schema
// that bounds replicas and the status and scale subresources.
const cronTabCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: crontabs.stable.example.com
spec:
  group: stable.example.com
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                cronSpec:
                  type: string
                image:
                  type: string
                replicas:
                  type: integer
                  minimum: 1
                  maximum: 10
            status:
              type: object
              properties:
                replicas:
                  type: integer
      subresources:
        status: {}
        scale:
          specReplicasPath: .spec.replicas
          statusReplicasPath: .status.replicas
      additionalPrinterColumns:
      - name: Spec
        type: string
        description: The cron spec defining the interval a CronJob is run
        jsonPath: .spec.cronSpec
      - name: Replicas
        type: integer
        description: The number of jobs launched by the CronJob
        jsonPath: .spec.replicas
      - name: Age
        type: date
        jsonPath: .metadata.creationTimestamp
  scope: Namespaced
  names:
    plural: crontabs
    singular: crontab
    kind: CronTab
    shortNames:
    - ct
    categories:
    - all
`

const cronTab = `apiVersion: "stable.example.com/v1"
kind: CronTab
metadata:
  name: my-new-cron-object
spec:
  cronSpec: "* * * * */5"
  image: my-awesome-cron-image
  replicas: 1
`

const badCronTab = `apiVersion: "stable.example.com/v1"
kind: CronTab
metadata:
  name: bad-cron-object
spec:
  cronSpec: "* * * * */5"
  replicas: 20
`

func TestRealKubectlCustomResources(t *testing.T) {
	e := newKubectlEnv(t, Config{Speed: 20})

	// kubectl caches discovery: a first get fills the cache before the
	// CRD exists, and the get after the apply must still find crontabs
	// (kubectl refreshes its cache when a type is unknown).
	_, errOut, code := e.run("", "get", "crontabs")
	assert.NotEqual(t, 0, code)
	assert.Contains(t, errOut, `the server doesn't have a resource type "crontabs"`)
	assert.Equal(t, "customresourcedefinition.apiextensions.k8s.io/crontabs.stable.example.com created\n", e.must("apply", "-f", e.file("crd.yaml", cronTabCRD)))
	_, errOut, code = e.run("", "get", "crontabs")
	assert.Equal(t, 0, code, errOut)
	assert.Equal(t, "No resources found in default namespace.\n", errOut)
	assert.Equal(t, "customresourcedefinition.apiextensions.k8s.io/crontabs.stable.example.com condition met\n", e.must("wait", "--for=condition=Established", "crd/crontabs.stable.example.com"))

	assert.Equal(t, "crontab.stable.example.com/my-new-cron-object created\n", e.must("apply", "-f", e.file("ct.yaml", cronTab)))
	out := e.must("get", "crontab")
	assert.Regexp(t, `^NAME +SPEC +REPLICAS +AGE\nmy-new-cron-object +\* \* \* \* \*/5 +1 +\S+\n$`, out)
	assert.Regexp(t, `\nmy-new-cron-object +`, e.must("get", "ct"))
	assert.Equal(t, "my-awesome-cron-image", e.must("get", "ct", "my-new-cron-object", "-o", "jsonpath={.spec.image}"))
	// categories: [all] puts CronTabs in kubectl get all.
	assert.Regexp(t, `(?m)^crontab\.stable\.example\.com/my-new-cron-object +\* \* \* \* \*/5 +1 +\S+$`, e.must("get", "all"))
	desc := e.must("describe", "ct", "my-new-cron-object")
	assert.Regexp(t, `(?m)^Name: +my-new-cron-object$`, desc)
	assert.Regexp(t, `(?m)^Kind: +CronTab$`, desc)
	assert.Regexp(t, `(?m)^  Cron Spec: +\* \* \* \* \*/5$`, desc)

	_, errOut, code = e.run("", "apply", "-f", e.file("bad.yaml", badCronTab))
	assert.NotEqual(t, 0, code)
	assert.Equal(t, `The CronTab "bad-cron-object" is invalid: spec.replicas: Invalid value: 20: spec.replicas in body should be less than or equal to 10`+"\n", errOut)

	// An unknown field: kubectl's default fieldValidation=Strict refuses it.
	_, errOut, code = e.run("", "apply", "-f", e.file("extra.yaml", strings.Replace(cronTab, "my-new-cron-object", "extra-cron-object", 1)+"  extra: 1\n"))
	assert.NotEqual(t, 0, code)
	assert.Contains(t, errOut, `strict decoding error: unknown field "spec.extra"`)

	assert.Equal(t, "crontab.stable.example.com/my-new-cron-object scaled\n", e.must("scale", "crontab", "my-new-cron-object", "--replicas=3"))
	assert.Equal(t, "3", e.must("get", "ct", "my-new-cron-object", "-o", "jsonpath={.spec.replicas}"))
	assert.Equal(t, "crontab.stable.example.com/my-new-cron-object patched\n", e.must("patch", "ct", "my-new-cron-object", "--type=merge", "-p", `{"spec":{"image":"v2"}}`))

	assert.Contains(t, e.must("api-resources", "--api-group=stable.example.com"), "crontabs")
	assert.Equal(t, "customresourcedefinition.apiextensions.k8s.io \"crontabs.stable.example.com\" deleted\n", e.must("delete", "crd", "crontabs.stable.example.com"))
	_, errOut, code = e.run("", "get", "crontabs.stable.example.com", "my-new-cron-object")
	assert.NotEqual(t, 0, code, errOut)
}
