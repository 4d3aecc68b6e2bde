package api

// Well-known labels, annotations, taints and names.
const (
	LabelHostname               = "kubernetes.io/hostname"
	LabelOS                     = "kubernetes.io/os"
	LabelArch                   = "kubernetes.io/arch"
	LabelTopologyZone           = "topology.kubernetes.io/zone"
	LabelTopologyRegion         = "topology.kubernetes.io/region"
	LabelInstanceType           = "node.kubernetes.io/instance-type"
	LabelNodeRolePrefix         = "node-role.kubernetes.io/"
	LabelNodeRoleControlPlane   = "node-role.kubernetes.io/control-plane"
	LabelNodeExcludeLB          = "node.kubernetes.io/exclude-from-external-load-balancers"
	LabelMetadataName           = "kubernetes.io/metadata.name"
	LabelServiceName            = "kubernetes.io/service-name"
	LabelManagedBy              = "endpointslice.kubernetes.io/managed-by"
	LabelPodTemplateHash        = "pod-template-hash"
	LabelControllerRevisionHash = "controller-revision-hash"
	LabelPodTemplateGeneration  = "pod-template-generation"
	LabelHeadless               = "service.kubernetes.io/headless"
	LabelServiceProxyName       = "service.kubernetes.io/service-proxy-name"

	// EndpointSliceControllerName is the managed-by value of slices the
	// EndpointSlice controller owns.
	EndpointSliceControllerName = "endpointslice-controller.k8s.io"
	// MaxEndpointsPerSlice is the controller's default slice size.
	MaxEndpointsPerSlice = 100
)

// Well-known taints.
const (
	TaintNodeNotReady           = "node.kubernetes.io/not-ready"
	TaintNodeUnreachable        = "node.kubernetes.io/unreachable"
	TaintNodeUnschedulable      = "node.kubernetes.io/unschedulable"
	TaintNodeMemoryPressure     = "node.kubernetes.io/memory-pressure"
	TaintNodeDiskPressure       = "node.kubernetes.io/disk-pressure"
	TaintNodePIDPressure        = "node.kubernetes.io/pid-pressure"
	TaintNodeNetworkUnavailable = "node.kubernetes.io/network-unavailable"
	TaintNodeOutOfService       = "node.kubernetes.io/out-of-service"
	TaintControlPlane           = "node-role.kubernetes.io/control-plane"

	// DefaultTolerationSeconds is how long the DefaultTolerationSeconds
	// admission plugin lets pods stay on not-ready or unreachable nodes.
	DefaultTolerationSeconds int64 = 300
)

// Well-known annotations.
const (
	AnnotationDeploymentRevision       = "deployment.kubernetes.io/revision"
	AnnotationDesiredReplicas          = "deployment.kubernetes.io/desired-replicas"
	AnnotationMaxReplicas              = "deployment.kubernetes.io/max-replicas"
	AnnotationPodDeletionCost          = "controller.kubernetes.io/pod-deletion-cost"
	AnnotationLastAppliedConfiguration = "kubectl.kubernetes.io/last-applied-configuration"
	AnnotationRestartedAt              = "kubectl.kubernetes.io/restartedAt"
	AnnotationEndpointsLastChange      = "endpoints.kubernetes.io/last-change-trigger-time"
)

// Well-known finalizers.
const (
	FinalizerOrphanDependents    = "orphan"
	FinalizerDeleteDependents    = "foregroundDeletion"
	FinalizerServiceLoadBalancer = "service.kubernetes.io/load-balancer-cleanup"
)

// Well-known namespaces and names.
const (
	NamespaceDefault              = "default"
	NamespaceSystem               = "kube-system"
	NamespacePublic               = "kube-public"
	NamespaceNodeLease            = "kube-node-lease"
	NamespaceAll                  = ""
	DefaultServiceAccount         = "default"
	DefaultSchedulerName          = "default-scheduler"
	DefaultTerminationGrace int64 = 30
)
