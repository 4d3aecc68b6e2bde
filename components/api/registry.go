package api

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// Verbs of the API, as discovery reports them.
const (
	VerbCreate           = "create"
	VerbDelete           = "delete"
	VerbDeleteCollection = "deletecollection"
	VerbGet              = "get"
	VerbList             = "list"
	VerbPatch            = "patch"
	VerbUpdate           = "update"
	VerbWatch            = "watch"
)

// standardVerbs are the verbs of an ordinary stored resource.
var standardVerbs = []string{VerbCreate, VerbDelete, VerbDeleteCollection, VerbGet, VerbList, VerbPatch, VerbUpdate, VerbWatch}

// Subresource is a path below an object: pods/status, deployments/scale.
type Subresource struct {
	// Name is the part after the slash: "status", "binding", "scale".
	Name string
	// Kind is the kind of the request/response body; empty for streams
	// (pods/log, pods/exec).
	Kind GroupVersionKind
	// Verbs allowed on it.
	Verbs []string
}

// ResourceInfo describes one API resource: how it is named in URLs, kubectl
// and etcd, and how to make an empty object of its kind.
type ResourceInfo struct {
	Group    string
	Version  string
	Kind     string
	ListKind string
	// Resource is the plural, lower-case URL name: "pods".
	Resource     string
	Singular     string
	ShortNames   []string
	Categories   []string
	Namespaced   bool
	Verbs        []string
	Subresources []Subresource
	// KeyPrefix is the etcd prefix without a trailing slash
	// ("/registry/pods", "/registry/minions"); empty for resources that are
	// never stored (bindings).
	KeyPrefix string

	// custom marks a resource a CustomResourceDefinition serves.
	custom    bool
	newObject func() Object
	newList   func() ListObject
}

// GroupVersion returns the resource's group version.
func (r *ResourceInfo) GroupVersion() GroupVersion {
	return GroupVersion{Group: r.Group, Version: r.Version}
}

// APIVersion returns "v1" or "apps/v1".
func (r *ResourceInfo) APIVersion() string { return r.GroupVersion().String() }

// GVK returns the group, version and kind.
func (r *ResourceInfo) GVK() GroupVersionKind {
	return GroupVersionKind{Group: r.Group, Version: r.Version, Kind: r.Kind}
}

// GVR returns the group, version and resource.
func (r *ResourceInfo) GVR() GroupVersionResource {
	return GroupVersionResource{Group: r.Group, Version: r.Version, Resource: r.Resource}
}

// GroupResource returns "deployments.apps", or "pods" for the core group,
// as Kubernetes error messages name resources.
func (r *ResourceInfo) GroupResource() string {
	if r.Group == "" {
		return r.Resource
	}
	return r.Resource + "." + r.Group
}

// New returns an empty object of the kind with its TypeMeta set.
func (r *ResourceInfo) New() Object {
	o := r.newObject()
	*o.GetTypeMeta() = TypeMeta{Kind: r.Kind, APIVersion: r.APIVersion()}
	return o
}

// NewList returns an empty list of the kind with its TypeMeta set.
func (r *ResourceInfo) NewList() ListObject {
	l := r.newList()
	*l.GetTypeMeta() = TypeMeta{Kind: r.ListKind, APIVersion: r.APIVersion()}
	return l
}

// Subresource returns the named subresource, if the resource has it.
func (r *ResourceInfo) Subresource(name string) (Subresource, bool) {
	for _, s := range r.Subresources {
		if s.Name == name {
			return s, true
		}
	}
	return Subresource{}, false
}

// HasVerb reports whether verb is allowed on the resource itself.
func (r *ResourceInfo) HasVerb(verb string) bool {
	for _, v := range r.Verbs {
		if v == verb {
			return true
		}
	}
	return false
}

// Key returns the etcd key of one object, or, with an empty name, the
// prefix under which the namespace's (or, with an empty namespace too, all)
// objects live, with a trailing slash:
//
//	Key("default", "web")  /registry/pods/default/web
//	Key("default", "")     /registry/pods/default/
//	Key("", "")            /registry/pods/
//	nodes: Key("", "n1")   /registry/minions/n1
func (r *ResourceInfo) Key(namespace, name string) string {
	prefix := r.KeyPrefix
	if prefix == "" {
		prefix = "/registry/" + r.Resource
	}
	switch {
	case name == "" && (namespace == "" || !r.Namespaced):
		return prefix + "/"
	case name == "":
		return prefix + "/" + namespace + "/"
	case r.Namespaced:
		return prefix + "/" + namespace + "/" + name
	default:
		return prefix + "/" + name
	}
}

func gvk(group, version, kind string) GroupVersionKind {
	return GroupVersionKind{Group: group, Version: version, Kind: kind}
}

var (
	statusVerbs = []string{VerbGet, VerbPatch, VerbUpdate}
	scaleKind   = gvk("autoscaling", "v1", "Scale")
)

func statusSub(group, version, kind string) Subresource {
	return Subresource{Name: "status", Kind: gvk(group, version, kind), Verbs: statusVerbs}
}

// registry is the table of every kind kubesim serves.
var registry = []*ResourceInfo{
	{
		Version: "v1", Kind: "Pod", ListKind: "PodList", Resource: "pods", Singular: "pod",
		ShortNames: []string{"po"}, Categories: []string{"all"}, Namespaced: true,
		Verbs: standardVerbs, KeyPrefix: "/registry/pods",
		Subresources: []Subresource{
			{Name: "attach", Verbs: []string{VerbCreate, VerbGet}},
			{Name: "binding", Kind: gvk("", "v1", "Binding"), Verbs: []string{VerbCreate}},
			{Name: "ephemeralcontainers", Kind: gvk("", "v1", "Pod"), Verbs: statusVerbs},
			{Name: "eviction", Kind: gvk("policy", "v1", "Eviction"), Verbs: []string{VerbCreate}},
			{Name: "exec", Verbs: []string{VerbCreate, VerbGet}},
			{Name: "log", Verbs: []string{VerbGet}},
			{Name: "portforward", Verbs: []string{VerbCreate, VerbGet}},
			{Name: "proxy", Verbs: []string{VerbCreate, VerbDelete, VerbGet, VerbPatch, VerbUpdate}},
			statusSub("", "v1", "Pod"),
		},
		newObject: func() Object { return &Pod{} }, newList: func() ListObject { return &PodList{} },
	},
	{
		Version: "v1", Kind: "Binding", ListKind: "BindingList", Resource: "bindings", Singular: "binding",
		Namespaced: true, Verbs: []string{VerbCreate},
		newObject: func() Object { return &Binding{} }, newList: func() ListObject { return &BindingList{} },
	},
	{
		Version: "v1", Kind: "Node", ListKind: "NodeList", Resource: "nodes", Singular: "node",
		ShortNames: []string{"no"}, Verbs: standardVerbs, KeyPrefix: "/registry/minions",
		Subresources: []Subresource{
			{Name: "proxy", Verbs: []string{VerbCreate, VerbDelete, VerbGet, VerbPatch, VerbUpdate}},
			statusSub("", "v1", "Node"),
		},
		newObject: func() Object { return &Node{} }, newList: func() ListObject { return &NodeList{} },
	},
	{
		Version: "v1", Kind: "Namespace", ListKind: "NamespaceList", Resource: "namespaces", Singular: "namespace",
		ShortNames: []string{"ns"}, Verbs: []string{VerbCreate, VerbDelete, VerbGet, VerbList, VerbPatch, VerbUpdate, VerbWatch},
		KeyPrefix: "/registry/namespaces",
		Subresources: []Subresource{
			{Name: "finalize", Kind: gvk("", "v1", "Namespace"), Verbs: []string{VerbUpdate}},
			statusSub("", "v1", "Namespace"),
		},
		newObject: func() Object { return &Namespace{} }, newList: func() ListObject { return &NamespaceList{} },
	},
	{
		Version: "v1", Kind: "ServiceAccount", ListKind: "ServiceAccountList", Resource: "serviceaccounts", Singular: "serviceaccount",
		ShortNames: []string{"sa"}, Namespaced: true, Verbs: standardVerbs, KeyPrefix: "/registry/serviceaccounts",
		Subresources: []Subresource{
			{Name: "token", Kind: gvk("authentication.k8s.io", "v1", "TokenRequest"), Verbs: []string{VerbCreate}},
		},
		newObject: func() Object { return &ServiceAccount{} }, newList: func() ListObject { return &ServiceAccountList{} },
	},
	{
		Version: "v1", Kind: "Service", ListKind: "ServiceList", Resource: "services", Singular: "service",
		ShortNames: []string{"svc"}, Categories: []string{"all"}, Namespaced: true,
		Verbs:     []string{VerbCreate, VerbDelete, VerbDeleteCollection, VerbGet, VerbList, VerbPatch, VerbUpdate, VerbWatch},
		KeyPrefix: "/registry/services/specs",
		Subresources: []Subresource{
			{Name: "proxy", Verbs: []string{VerbCreate, VerbDelete, VerbGet, VerbPatch, VerbUpdate}},
			statusSub("", "v1", "Service"),
		},
		newObject: func() Object { return &Service{} }, newList: func() ListObject { return &ServiceList{} },
	},
	{
		Version: "v1", Kind: "Endpoints", ListKind: "EndpointsList", Resource: "endpoints", Singular: "endpoints",
		ShortNames: []string{"ep"}, Namespaced: true, Verbs: standardVerbs, KeyPrefix: "/registry/services/endpoints",
		newObject: func() Object { return &Endpoints{} }, newList: func() ListObject { return &EndpointsList{} },
	},
	{
		Version: "v1", Kind: "ConfigMap", ListKind: "ConfigMapList", Resource: "configmaps", Singular: "configmap",
		ShortNames: []string{"cm"}, Namespaced: true, Verbs: standardVerbs, KeyPrefix: "/registry/configmaps",
		newObject: func() Object { return &ConfigMap{} }, newList: func() ListObject { return &ConfigMapList{} },
	},
	{
		Version: "v1", Kind: "Secret", ListKind: "SecretList", Resource: "secrets", Singular: "secret",
		Namespaced: true, Verbs: standardVerbs, KeyPrefix: "/registry/secrets",
		newObject: func() Object { return &Secret{} }, newList: func() ListObject { return &SecretList{} },
	},
	{
		Version: "v1", Kind: "ResourceQuota", ListKind: "ResourceQuotaList", Resource: "resourcequotas", Singular: "resourcequota",
		ShortNames: []string{"quota"}, Namespaced: true, Verbs: standardVerbs, KeyPrefix: "/registry/resourcequotas",
		Subresources: []Subresource{statusSub("", "v1", "ResourceQuota")},
		newObject:    func() Object { return &ResourceQuota{} }, newList: func() ListObject { return &ResourceQuotaList{} },
	},
	{
		Version: "v1", Kind: "LimitRange", ListKind: "LimitRangeList", Resource: "limitranges", Singular: "limitrange",
		ShortNames: []string{"limits"}, Namespaced: true, Verbs: standardVerbs, KeyPrefix: "/registry/limitranges",
		newObject: func() Object { return &LimitRange{} }, newList: func() ListObject { return &LimitRangeList{} },
	},
	{
		Version: "v1", Kind: "Event", ListKind: "EventList", Resource: "events", Singular: "event",
		ShortNames: []string{"ev"}, Namespaced: true, Verbs: standardVerbs, KeyPrefix: "/registry/events",
		newObject: func() Object { return &Event{} }, newList: func() ListObject { return &EventList{} },
	},
	{
		Version: "v1", Kind: "PersistentVolume", ListKind: "PersistentVolumeList", Resource: "persistentvolumes",
		Singular: "persistentvolume", ShortNames: []string{"pv"}, Verbs: standardVerbs, KeyPrefix: "/registry/persistentvolumes",
		Subresources: []Subresource{statusSub("", "v1", "PersistentVolume")},
		newObject:    func() Object { return &PersistentVolume{} }, newList: func() ListObject { return &PersistentVolumeList{} },
	},
	{
		Version: "v1", Kind: "PersistentVolumeClaim", ListKind: "PersistentVolumeClaimList", Resource: "persistentvolumeclaims",
		Singular: "persistentvolumeclaim", ShortNames: []string{"pvc"}, Namespaced: true, Verbs: standardVerbs,
		KeyPrefix:    "/registry/persistentvolumeclaims",
		Subresources: []Subresource{statusSub("", "v1", "PersistentVolumeClaim")},
		newObject:    func() Object { return &PersistentVolumeClaim{} }, newList: func() ListObject { return &PersistentVolumeClaimList{} },
	},
	{
		Group: "storage.k8s.io", Version: "v1", Kind: "StorageClass", ListKind: "StorageClassList", Resource: "storageclasses",
		Singular: "storageclass", ShortNames: []string{"sc"}, Verbs: standardVerbs, KeyPrefix: "/registry/storageclasses",
		newObject: func() Object { return &StorageClass{} }, newList: func() ListObject { return &StorageClassList{} },
	},
	{
		Group: "discovery.k8s.io", Version: "v1", Kind: "EndpointSlice", ListKind: "EndpointSliceList",
		Resource: "endpointslices", Singular: "endpointslice", Namespaced: true, Verbs: standardVerbs,
		KeyPrefix: "/registry/endpointslices",
		newObject: func() Object { return &EndpointSlice{} }, newList: func() ListObject { return &EndpointSliceList{} },
	},
	{
		Group: "apps", Version: "v1", Kind: "ReplicaSet", ListKind: "ReplicaSetList", Resource: "replicasets", Singular: "replicaset",
		ShortNames: []string{"rs"}, Categories: []string{"all"}, Namespaced: true, Verbs: standardVerbs,
		KeyPrefix: "/registry/replicasets",
		Subresources: []Subresource{
			{Name: "scale", Kind: scaleKind, Verbs: statusVerbs},
			statusSub("apps", "v1", "ReplicaSet"),
		},
		newObject: func() Object { return &ReplicaSet{} }, newList: func() ListObject { return &ReplicaSetList{} },
	},
	{
		Group: "apps", Version: "v1", Kind: "Deployment", ListKind: "DeploymentList", Resource: "deployments", Singular: "deployment",
		ShortNames: []string{"deploy"}, Categories: []string{"all"}, Namespaced: true, Verbs: standardVerbs,
		KeyPrefix: "/registry/deployments",
		Subresources: []Subresource{
			{Name: "scale", Kind: scaleKind, Verbs: statusVerbs},
			statusSub("apps", "v1", "Deployment"),
		},
		newObject: func() Object { return &Deployment{} }, newList: func() ListObject { return &DeploymentList{} },
	},
	{
		Group: "apps", Version: "v1", Kind: "DaemonSet", ListKind: "DaemonSetList", Resource: "daemonsets", Singular: "daemonset",
		ShortNames: []string{"ds"}, Categories: []string{"all"}, Namespaced: true, Verbs: standardVerbs,
		KeyPrefix:    "/registry/daemonsets",
		Subresources: []Subresource{statusSub("apps", "v1", "DaemonSet")},
		newObject:    func() Object { return &DaemonSet{} }, newList: func() ListObject { return &DaemonSetList{} },
	},
	{
		Group: "apps", Version: "v1", Kind: "StatefulSet", ListKind: "StatefulSetList", Resource: "statefulsets", Singular: "statefulset",
		ShortNames: []string{"sts"}, Categories: []string{"all"}, Namespaced: true, Verbs: standardVerbs,
		KeyPrefix: "/registry/statefulsets",
		Subresources: []Subresource{
			{Name: "scale", Kind: scaleKind, Verbs: statusVerbs},
			statusSub("apps", "v1", "StatefulSet"),
		},
		newObject: func() Object { return &StatefulSet{} }, newList: func() ListObject { return &StatefulSetList{} },
	},
	{
		Group: "apps", Version: "v1", Kind: "ControllerRevision", ListKind: "ControllerRevisionList",
		Resource: "controllerrevisions", Singular: "controllerrevision", Namespaced: true, Verbs: standardVerbs,
		KeyPrefix: "/registry/controllerrevisions",
		newObject: func() Object { return &ControllerRevision{} }, newList: func() ListObject { return &ControllerRevisionList{} },
	},
	{
		Group: "autoscaling", Version: "v2", Kind: "HorizontalPodAutoscaler", ListKind: "HorizontalPodAutoscalerList",
		Resource: "horizontalpodautoscalers", Singular: "horizontalpodautoscaler", ShortNames: []string{"hpa"},
		Categories: []string{"all"}, Namespaced: true, Verbs: standardVerbs,
		KeyPrefix:    "/registry/horizontalpodautoscalers",
		Subresources: []Subresource{statusSub("autoscaling", "v2", "HorizontalPodAutoscaler")},
		newObject:    func() Object { return &HorizontalPodAutoscaler{} }, newList: func() ListObject { return &HorizontalPodAutoscalerList{} },
	},
	{
		Group: "batch", Version: "v1", Kind: "Job", ListKind: "JobList", Resource: "jobs", Singular: "job",
		Categories: []string{"all"}, Namespaced: true, Verbs: standardVerbs,
		KeyPrefix:    "/registry/jobs",
		Subresources: []Subresource{statusSub("batch", "v1", "Job")},
		newObject:    func() Object { return &Job{} }, newList: func() ListObject { return &JobList{} },
	},
	{
		Group: "batch", Version: "v1", Kind: "CronJob", ListKind: "CronJobList", Resource: "cronjobs", Singular: "cronjob",
		ShortNames: []string{"cj"}, Categories: []string{"all"}, Namespaced: true, Verbs: standardVerbs,
		KeyPrefix:    "/registry/cronjobs",
		Subresources: []Subresource{statusSub("batch", "v1", "CronJob")},
		newObject:    func() Object { return &CronJob{} }, newList: func() ListObject { return &CronJobList{} },
	},
	{
		Group: "coordination.k8s.io", Version: "v1", Kind: "Lease", ListKind: "LeaseList", Resource: "leases", Singular: "lease",
		Namespaced: true, Verbs: standardVerbs, KeyPrefix: "/registry/leases",
		newObject: func() Object { return &Lease{} }, newList: func() ListObject { return &LeaseList{} },
	},
	{
		Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "Role", ListKind: "RoleList", Resource: "roles", Singular: "role",
		Namespaced: true, Verbs: standardVerbs, KeyPrefix: "/registry/roles",
		newObject: func() Object { return &Role{} }, newList: func() ListObject { return &RoleList{} },
	},
	{
		Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRole", ListKind: "ClusterRoleList",
		Resource: "clusterroles", Singular: "clusterrole", Verbs: standardVerbs, KeyPrefix: "/registry/clusterroles",
		newObject: func() Object { return &ClusterRole{} }, newList: func() ListObject { return &ClusterRoleList{} },
	},
	{
		Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "RoleBinding", ListKind: "RoleBindingList",
		Resource: "rolebindings", Singular: "rolebinding", Namespaced: true, Verbs: standardVerbs,
		KeyPrefix: "/registry/rolebindings",
		newObject: func() Object { return &RoleBinding{} }, newList: func() ListObject { return &RoleBindingList{} },
	},
	{
		Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRoleBinding", ListKind: "ClusterRoleBindingList",
		Resource: "clusterrolebindings", Singular: "clusterrolebinding", Verbs: standardVerbs,
		KeyPrefix: "/registry/clusterrolebindings",
		newObject: func() Object { return &ClusterRoleBinding{} }, newList: func() ListObject { return &ClusterRoleBindingList{} },
	},
	{
		Group: "networking.k8s.io", Version: "v1", Kind: "NetworkPolicy", ListKind: "NetworkPolicyList",
		Resource: "networkpolicies", Singular: "networkpolicy", ShortNames: []string{"netpol"}, Namespaced: true,
		Verbs: standardVerbs, KeyPrefix: "/registry/networkpolicies",
		newObject: func() Object { return &NetworkPolicy{} }, newList: func() ListObject { return &NetworkPolicyList{} },
	},
	{
		Group: "policy", Version: "v1", Kind: "PodDisruptionBudget", ListKind: "PodDisruptionBudgetList",
		Resource: "poddisruptionbudgets", Singular: "poddisruptionbudget", ShortNames: []string{"pdb"}, Namespaced: true,
		Verbs: standardVerbs, KeyPrefix: "/registry/poddisruptionbudgets",
		Subresources: []Subresource{statusSub("policy", "v1", "PodDisruptionBudget")},
		newObject:    func() Object { return &PodDisruptionBudget{} }, newList: func() ListObject { return &PodDisruptionBudgetList{} },
	},
	{
		Group: "scheduling.k8s.io", Version: "v1", Kind: "PriorityClass", ListKind: "PriorityClassList",
		Resource: "priorityclasses", Singular: "priorityclass", ShortNames: []string{"pc"}, Verbs: standardVerbs,
		KeyPrefix: "/registry/priorityclasses",
		newObject: func() Object { return &PriorityClass{} }, newList: func() ListObject { return &PriorityClassList{} },
	},
	{
		Group: "authorization.k8s.io", Version: "v1", Kind: "SelfSubjectAccessReview", ListKind: "SelfSubjectAccessReviewList",
		Resource: "selfsubjectaccessreviews", Singular: "selfsubjectaccessreview", Verbs: []string{VerbCreate},
		newObject: func() Object { return &SelfSubjectAccessReview{} }, newList: func() ListObject { return &SelfSubjectAccessReviewList{} },
	},
	{
		Group: "authorization.k8s.io", Version: "v1", Kind: "SelfSubjectRulesReview", ListKind: "SelfSubjectRulesReviewList",
		Resource: "selfsubjectrulesreviews", Singular: "selfsubjectrulesreview", Verbs: []string{VerbCreate},
		newObject: func() Object { return &SelfSubjectRulesReview{} }, newList: func() ListObject { return &SelfSubjectRulesReviewList{} },
	},
	{
		Group: "authorization.k8s.io", Version: "v1", Kind: "SubjectAccessReview", ListKind: "SubjectAccessReviewList",
		Resource: "subjectaccessreviews", Singular: "subjectaccessreview", Verbs: []string{VerbCreate},
		newObject: func() Object { return &SubjectAccessReview{} }, newList: func() ListObject { return &SubjectAccessReviewList{} },
	},
	{
		Group: "authentication.k8s.io", Version: "v1", Kind: "SelfSubjectReview", ListKind: "SelfSubjectReviewList",
		Resource: "selfsubjectreviews", Singular: "selfsubjectreview", Verbs: []string{VerbCreate},
		newObject: func() Object { return &SelfSubjectReview{} }, newList: func() ListObject { return &SelfSubjectReviewList{} },
	},
	{
		Group: "cilium.io", Version: "v2", Kind: "CiliumNetworkPolicy", ListKind: "CiliumNetworkPolicyList",
		Resource: "ciliumnetworkpolicies", Singular: "ciliumnetworkpolicy", ShortNames: []string{"cnp", "ciliumnp"},
		Categories: []string{"cilium", "ciliumpolicy"}, Namespaced: true, Verbs: standardVerbs,
		KeyPrefix:    "/registry/cilium.io/ciliumnetworkpolicies",
		Subresources: []Subresource{statusSub("cilium.io", "v2", "CiliumNetworkPolicy")},
		newObject:    func() Object { return &CiliumNetworkPolicy{} }, newList: func() ListObject { return &CiliumNetworkPolicyList{} },
	},
	{
		Group: "cilium.io", Version: "v2", Kind: "CiliumNode", ListKind: "CiliumNodeList",
		Resource: "ciliumnodes", Singular: "ciliumnode", ShortNames: []string{"cn", "ciliumn"},
		Categories: []string{"cilium"}, Verbs: standardVerbs, KeyPrefix: "/registry/cilium.io/ciliumnodes",
		Subresources: []Subresource{statusSub("cilium.io", "v2", "CiliumNode")},
		newObject:    func() Object { return &CiliumNode{} }, newList: func() ListObject { return &CiliumNodeList{} },
	},
	{
		Group: "cilium.io", Version: "v2", Kind: "CiliumEndpoint", ListKind: "CiliumEndpointList",
		Resource: "ciliumendpoints", Singular: "ciliumendpoint", ShortNames: []string{"cep", "ciliumep"},
		Categories: []string{"cilium"}, Namespaced: true, Verbs: standardVerbs,
		KeyPrefix: "/registry/cilium.io/ciliumendpoints",
		newObject: func() Object { return &CiliumEndpoint{} }, newList: func() ListObject { return &CiliumEndpointList{} },
	},
	{
		Group: "cilium.io", Version: "v2", Kind: "CiliumIdentity", ListKind: "CiliumIdentityList",
		Resource: "ciliumidentities", Singular: "ciliumidentity", ShortNames: []string{"ciliumid"},
		Categories: []string{"cilium"}, Verbs: standardVerbs, KeyPrefix: "/registry/cilium.io/ciliumidentities",
		newObject: func() Object { return &CiliumIdentity{} }, newList: func() ListObject { return &CiliumIdentityList{} },
	},
	{
		Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition", ListKind: "CustomResourceDefinitionList",
		Resource: "customresourcedefinitions", Singular: "customresourcedefinition", ShortNames: []string{"crd", "crds"},
		Verbs: standardVerbs, KeyPrefix: "/registry/apiextensions.k8s.io/customresourcedefinitions",
		Subresources: []Subresource{statusSub("apiextensions.k8s.io", "v1", "CustomResourceDefinition")},
		newObject:    func() Object { return &CustomResourceDefinition{} }, newList: func() ListObject { return &CustomResourceDefinitionList{} },
	},
}

// Indexes built once from the table.
var (
	sortedResources []*ResourceInfo
	byGVK           = map[GroupVersionKind]*ResourceInfo{}
	byKind          = map[string]*ResourceInfo{}
	byResource      = map[string]*ResourceInfo{}
	byName          = map[string]*ResourceInfo{}
	byType          = map[reflect.Type]*ResourceInfo{}
	byListType      = map[reflect.Type]*ResourceInfo{}
	// otherKinds are body kinds of subresources and requests that are
	// not resources of their own.
	otherKinds = map[reflect.Type]GroupVersionKind{
		reflect.TypeOf(Scale{}):         scaleKind,
		reflect.TypeOf(Eviction{}):      gvk("policy", "v1", "Eviction"),
		reflect.TypeOf(Status{}):        gvk("", "v1", "Status"),
		reflect.TypeOf(DeleteOptions{}): gvk("", "v1", "DeleteOptions"),
	}
)

func init() {
	sortedResources = append([]*ResourceInfo(nil), registry...)
	sort.SliceStable(sortedResources, func(i, j int) bool {
		a, b := sortedResources[i], sortedResources[j]
		if a.Group != b.Group {
			return a.Group < b.Group // the core group "" sorts first
		}
		return a.Resource < b.Resource
	})
	for _, r := range sortedResources {
		byGVK[r.GVK()] = r
		byKind[r.Kind] = r
		byResource[r.Resource] = r
		byType[reflect.TypeOf(r.newObject()).Elem()] = r
		byListType[reflect.TypeOf(r.newList()).Elem()] = r
	}
	// Names kubectl accepts, weakest first so that stronger ones win:
	// short names, singular, plural, each also qualified by group.
	for _, r := range sortedResources {
		names := append(append([]string{}, r.ShortNames...), r.Singular, r.Resource)
		for _, n := range names {
			byName[n] = r
			if r.Group != "" {
				byName[n+"."+r.Group] = r
			}
		}
	}
	for _, r := range sortedResources {
		byName[r.Resource] = r
	}
}

// Resources returns every resource, ordered by group (core first) and then
// plural name. The slice is fresh; the infos are shared and must not be
// modified.
func Resources() []*ResourceInfo {
	return append([]*ResourceInfo(nil), sortedResources...)
}

// ResourceForKind finds a resource by kind ("Deployment"). Kinds are unique
// across the groups kubesim serves.
func ResourceForKind(kind string) (*ResourceInfo, bool) {
	r, ok := byKind[kind]
	return r, ok
}

// ResourceForGVK finds a resource by group, version and kind.
func ResourceForGVK(gvk GroupVersionKind) (*ResourceInfo, bool) {
	r, ok := byGVK[gvk]
	return r, ok
}

// ResourceForAPIVersionKind finds a resource by the apiVersion and kind of a
// manifest ("apps/v1", "Deployment").
func ResourceForAPIVersionKind(apiVersion, kind string) (*ResourceInfo, bool) {
	gv := ParseGroupVersion(apiVersion)
	return ResourceForGVK(GroupVersionKind{Group: gv.Group, Version: gv.Version, Kind: kind})
}

// ResourceFor finds a resource by its plural name ("pods").
func ResourceFor(resource string) (*ResourceInfo, bool) {
	r, ok := byResource[resource]
	return r, ok
}

// ResourceForGVR finds a resource by group, version and plural name.
func ResourceForGVR(gvr GroupVersionResource) (*ResourceInfo, bool) {
	r, ok := byResource[gvr.Resource]
	if !ok || r.Group != gvr.Group || r.Version != gvr.Version {
		return nil, false
	}
	return r, true
}

// ResourceForName resolves a name as kubectl does for `kubectl get NAME`:
// plural, singular or short name, case-insensitively, optionally qualified
// by group ("deploy", "deployments.apps", "cnp").
func ResourceForName(name string) (*ResourceInfo, bool) {
	r, ok := byName[strings.ToLower(name)]
	return r, ok
}

// ResourceForShortName finds a resource by one of its short names only.
func ResourceForShortName(short string) (*ResourceInfo, bool) {
	for _, r := range sortedResources {
		for _, s := range r.ShortNames {
			if s == short {
				return r, true
			}
		}
	}
	return nil, false
}

// ResourcesInCategory lists the resources of a category ("all") in
// Resources order.
func ResourcesInCategory(category string) []*ResourceInfo {
	var out []*ResourceInfo
	for _, r := range sortedResources {
		for _, c := range r.Categories {
			if c == category {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

// GroupVersions lists the distinct group versions served, in Resources
// order.
func GroupVersions() []GroupVersion {
	var out []GroupVersion
	seen := map[GroupVersion]bool{}
	for _, r := range sortedResources {
		if gv := r.GroupVersion(); !seen[gv] {
			seen[gv] = true
			out = append(out, gv)
		}
	}
	return out
}

// KeyFor returns the etcd key of an object of a resource given by plural
// name; see ResourceInfo.Key for empty namespace and name. An unknown
// resource gets the generic layout /registry/<resource>/...
func KeyFor(resource, namespace, name string) string {
	r, ok := byResource[resource]
	if !ok {
		r = &ResourceInfo{Resource: resource, Namespaced: namespace != ""}
	}
	return r.Key(namespace, name)
}

// NewObject returns an empty object of the given apiVersion and kind.
func NewObject(apiVersion, kind string) (Object, error) {
	r, ok := ResourceForAPIVersionKind(apiVersion, kind)
	if !ok {
		return nil, fmt.Errorf("no kind %q is registered for version %q", kind, apiVersion)
	}
	return r.New(), nil
}

// ResourceOf returns the resource of obj's Go type (whatever its TypeMeta
// says).
func ResourceOf(obj Object) (*ResourceInfo, bool) {
	r, ok := byType[reflect.TypeOf(obj).Elem()]
	return r, ok
}

// ResourceOfList returns the resource whose list type list is.
func ResourceOfList(list ListObject) (*ResourceInfo, bool) {
	r, ok := byListType[reflect.TypeOf(list).Elem()]
	return r, ok
}

// GVKOf returns the group, version and kind of obj's Go type. It knows
// every registered kind and list kind plus Scale, Eviction, Status and
// DeleteOptions.
func GVKOf(obj any) (GroupVersionKind, bool) {
	t := reflect.TypeOf(obj)
	if t == nil {
		return GroupVersionKind{}, false
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if r, ok := byType[t]; ok {
		return r.GVK(), true
	}
	if r, ok := byListType[t]; ok {
		return GroupVersionKind{Group: r.Group, Version: r.Version, Kind: r.ListKind}, true
	}
	g, ok := otherKinds[t]
	return g, ok
}

// SetTypeMeta fills obj's kind and apiVersion from its Go type, so code can
// build &Pod{...} without spelling them out. It returns obj.
func SetTypeMeta[T interface{ GetTypeMeta() *TypeMeta }](obj T) T {
	if g, ok := GVKOf(obj); ok {
		*obj.GetTypeMeta() = TypeMeta{Kind: g.Kind, APIVersion: g.APIVersion()}
	}
	return obj
}

// ListItems returns pointers to the items of a list, in order. The items
// share memory with the list.
func ListItems(list ListObject) []Object {
	items := reflect.ValueOf(list).Elem().FieldByName("Items")
	out := make([]Object, items.Len())
	for i := range out {
		out[i] = items.Index(i).Addr().Interface().(Object)
	}
	return out
}

// SetListItems replaces the items of a list with (shallow copies of) objs,
// which must be of the list's item type.
func SetListItems(list ListObject, objs []Object) error {
	items := reflect.ValueOf(list).Elem().FieldByName("Items")
	elem := items.Type().Elem()
	s := reflect.MakeSlice(items.Type(), len(objs), len(objs))
	for i, o := range objs {
		v := reflect.ValueOf(o)
		if v.Type() != reflect.PointerTo(elem) {
			return fmt.Errorf("cannot put %T into %T", o, list)
		}
		s.Index(i).Set(v.Elem())
	}
	items.Set(s)
	return nil
}
