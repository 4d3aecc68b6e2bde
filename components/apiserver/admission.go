package apiserver

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiwire"
)

// Defaulting and admission. The real order is: decode and apply defaults,
// mutating admission (every plugin), validation, validating admission,
// storage. Each step that changes something says so in the trace.

func ptr[T any](v T) *T { return &v }

// setDefaults applies the defaults the real API types' defaulting functions
// apply on decode, and reports what it set. Some defaults are the create
// strategy's, not the decoder's: a new Namespace gets the "kubernetes"
// finalizer, an updated one keeps what it has (so namespaces/finalize can
// remove it).
func setDefaults(obj api.Object, create bool) []string {
	var notes []string
	note := func(format string, args ...any) { notes = append(notes, fmt.Sprintf(format, args...)) }
	switch o := obj.(type) {
	case *api.Pod:
		defaultPodSpec(&o.Spec, note)
		defaultRequestsFromLimits(&o.Spec)
		if o.Status.Phase == "" {
			o.Status.Phase = api.PodPending
		}
		if o.Status.QOSClass == "" {
			o.Status.QOSClass = qosClass(&o.Spec)
		}
	case *api.LimitRange:
		notes = append(notes, api.SetLimitRangeDefaults(o)...)
	case *api.PriorityClass:
		if o.PreemptionPolicy == nil {
			o.PreemptionPolicy = ptr(api.PreemptLowerPriority)
			note("preemptionPolicy=PreemptLowerPriority")
		}
	case *api.ReplicaSet:
		if o.Spec.Replicas == nil {
			o.Spec.Replicas = ptr(int32(1))
			note("spec.replicas=1")
		}
		defaultPodSpec(&o.Spec.Template.Spec, note)
	case *api.Deployment:
		if o.Spec.Replicas == nil {
			o.Spec.Replicas = ptr(int32(1))
			note("spec.replicas=1")
		}
		if o.Spec.Strategy.Type == "" {
			o.Spec.Strategy.Type = api.RollingUpdateDeploymentStrategyType
		}
		if o.Spec.Strategy.Type == api.RollingUpdateDeploymentStrategyType {
			if o.Spec.Strategy.RollingUpdate == nil {
				o.Spec.Strategy.RollingUpdate = &api.RollingUpdateDeployment{}
			}
			if o.Spec.Strategy.RollingUpdate.MaxUnavailable == nil {
				o.Spec.Strategy.RollingUpdate.MaxUnavailable = ptr(api.FromString("25%"))
			}
			if o.Spec.Strategy.RollingUpdate.MaxSurge == nil {
				o.Spec.Strategy.RollingUpdate.MaxSurge = ptr(api.FromString("25%"))
			}
		}
		if o.Spec.RevisionHistoryLimit == nil {
			o.Spec.RevisionHistoryLimit = ptr(int32(10))
		}
		if o.Spec.ProgressDeadlineSeconds == nil {
			o.Spec.ProgressDeadlineSeconds = ptr(int32(600))
		}
		defaultPodSpec(&o.Spec.Template.Spec, note)
	case *api.DaemonSet:
		if o.Spec.UpdateStrategy.Type == "" {
			o.Spec.UpdateStrategy.Type = api.RollingUpdateDaemonSetStrategyType
		}
		if o.Spec.RevisionHistoryLimit == nil {
			o.Spec.RevisionHistoryLimit = ptr(int32(10))
		}
		defaultPodSpec(&o.Spec.Template.Spec, note)
	case *api.HorizontalPodAutoscaler:
		if o.Spec.MinReplicas == nil {
			note("spec.minReplicas=1")
		}
		api.SetHPADefaults(o)
	case *api.Job:
		defaultJobSpec(&o.Spec, note)
	case *api.CronJob:
		if o.Spec.ConcurrencyPolicy == "" {
			o.Spec.ConcurrencyPolicy = api.AllowConcurrent
		}
		if o.Spec.Suspend == nil {
			o.Spec.Suspend = ptr(false)
		}
		if o.Spec.SuccessfulJobsHistoryLimit == nil {
			o.Spec.SuccessfulJobsHistoryLimit = ptr(int32(3))
		}
		if o.Spec.FailedJobsHistoryLimit == nil {
			o.Spec.FailedJobsHistoryLimit = ptr(int32(1))
		}
		defaultJobSpec(&o.Spec.JobTemplate.Spec, note)
	case *api.StatefulSet:
		defaultStatefulSet(o, note)
	case *api.PersistentVolume, *api.PersistentVolumeClaim, *api.StorageClass:
		defaultStorage(o, note)
	case *api.Namespace:
		if o.Status.Phase == "" {
			o.Status.Phase = api.NamespaceActive
		}
		if create && len(o.Spec.Finalizers) == 0 {
			o.Spec.Finalizers = []api.FinalizerName{api.FinalizerKubernetes}
		}
	case *api.Service:
		if o.Spec.Type == "" {
			o.Spec.Type = api.ServiceTypeClusterIP
		}
		if o.Spec.SessionAffinity == "" {
			o.Spec.SessionAffinity = api.ServiceAffinityNone
		}
		if (o.Spec.Type == api.ServiceTypeNodePort || o.Spec.Type == api.ServiceTypeLoadBalancer) && o.Spec.ExternalTrafficPolicy == "" {
			o.Spec.ExternalTrafficPolicy = api.ServiceExternalTrafficPolicyCluster
		}
		if o.Spec.Type != api.ServiceTypeExternalName && o.Spec.InternalTrafficPolicy == nil {
			o.Spec.InternalTrafficPolicy = ptr(api.ServiceInternalTrafficPolicyCluster)
		}
		for i := range o.Spec.Ports {
			p := &o.Spec.Ports[i]
			if p.Protocol == "" {
				p.Protocol = api.ProtocolTCP
			}
			if p.TargetPort.Type == api.IntOrStringInt && p.TargetPort.IntVal == 0 && p.TargetPort.StrVal == "" {
				p.TargetPort = api.FromInt32(p.Port)
			}
		}
	}
	return notes
}

// defaultJobSpec applies batch/v1's Job defaults: completions and
// parallelism 1 (completions only when parallelism is unset too),
// backoffLimit 6, NonIndexed completion, not suspended, pods replaced once
// TerminatingOrFailed, manualSelector left unset.
func defaultJobSpec(s *api.JobSpec, note func(string, ...any)) {
	if s.Completions == nil && s.Parallelism == nil {
		s.Completions = ptr(int32(1))
	}
	if s.Parallelism == nil {
		s.Parallelism = ptr(int32(1))
	}
	if s.BackoffLimit == nil {
		if s.BackoffLimitPerIndex != nil {
			s.BackoffLimit = ptr(int32(2147483647))
		} else {
			s.BackoffLimit = ptr(int32(6))
		}
	}
	if s.CompletionMode == nil {
		s.CompletionMode = ptr(api.NonIndexedCompletion)
	}
	if s.Suspend == nil {
		s.Suspend = ptr(false)
	}
	if s.PodReplacementPolicy == nil {
		if s.PodFailurePolicy != nil {
			s.PodReplacementPolicy = ptr(api.Failed)
		} else {
			s.PodReplacementPolicy = ptr(api.TerminatingOrFailed)
		}
	}
	defaultPodSpec(&s.Template.Spec, note)
}

// defaultRequestsFromLimits is the part of core/v1's SetDefaults_Pod that
// a pod template does not get: a container's limit without a request sets
// the request, before any admission plugin looks (so a LimitRange's
// defaultRequest does not apply to it).
func defaultRequestsFromLimits(s *api.PodSpec) {
	for _, cs := range [][]api.Container{s.InitContainers, s.Containers} {
		for i := range cs {
			c := &cs[i]
			for rn, q := range c.Resources.Limits {
				if _, ok := c.Resources.Requests[rn]; !ok {
					if c.Resources.Requests == nil {
						c.Resources.Requests = api.ResourceList{}
					}
					c.Resources.Requests[rn] = q
				}
			}
		}
	}
}

func defaultPodSpec(s *api.PodSpec, note func(string, ...any)) {
	if s.RestartPolicy == "" {
		s.RestartPolicy = api.RestartPolicyAlways
		note("restartPolicy=Always")
	}
	if s.DNSPolicy == "" {
		s.DNSPolicy = api.DNSClusterFirst
		note("dnsPolicy=ClusterFirst")
	}
	if s.SchedulerName == "" {
		s.SchedulerName = api.DefaultSchedulerName
		note("schedulerName=default-scheduler")
	}
	if s.TerminationGracePeriodSeconds == nil {
		s.TerminationGracePeriodSeconds = ptr(int64(30))
		note("terminationGracePeriodSeconds=30")
	}
	if s.SecurityContext == nil {
		s.SecurityContext = &api.PodSecurityContext{}
	}
	if s.EnableServiceLinks == nil {
		s.EnableServiceLinks = ptr(true)
	}
	// spec.priority and spec.preemptionPolicy are not defaulted: the
	// Priority admission plugin computes them for a new pod.
	for _, cs := range [][]api.Container{s.InitContainers, s.Containers} {
		for i := range cs {
			c := &cs[i]
			if c.TerminationMessagePath == "" {
				c.TerminationMessagePath = "/dev/termination-log"
			}
			if c.TerminationMessagePolicy == "" {
				c.TerminationMessagePolicy = api.TerminationMessageReadFile
			}
			if c.ImagePullPolicy == "" {
				c.ImagePullPolicy = defaultPullPolicy(c.Image)
				note("%s imagePullPolicy=%s", c.Name, c.ImagePullPolicy)
			}
			for j := range c.Ports {
				if c.Ports[j].Protocol == "" {
					c.Ports[j].Protocol = api.ProtocolTCP
				}
			}
		}
	}
}

// defaultPullPolicy is Always for an untagged or :latest image, else
// IfNotPresent.
func defaultPullPolicy(image string) api.PullPolicy {
	if strings.Contains(image, "@") {
		return api.PullIfNotPresent
	}
	name := image
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	if !strings.Contains(name, ":") || strings.HasSuffix(name, ":latest") {
		return api.PullAlways
	}
	return api.PullIfNotPresent
}

func qosClass(s *api.PodSpec) api.PodQOSClass {
	requests, limits, guaranteed := false, false, true
	for _, c := range s.Containers {
		if len(c.Resources.Requests) > 0 {
			requests = true
		}
		if len(c.Resources.Limits) > 0 {
			limits = true
		}
		for _, r := range []api.ResourceName{api.ResourceCPU, api.ResourceMemory} {
			l, hasL := c.Resources.Limits[r]
			q, hasR := c.Resources.Requests[r]
			if !hasL || (hasR && q.Cmp(l) != 0) {
				guaranteed = false
			}
		}
	}
	switch {
	case !requests && !limits:
		return api.PodQOSBestEffort
	case guaranteed:
		return api.PodQOSGuaranteed
	}
	return api.PodQOSBurstable
}

// mutatingAdmission runs the mutating admission plugins that matter here:
// ServiceAccount and DefaultTolerationSeconds.
func (s *server) mutatingAdmission(r *apiwire.Request, obj api.Object) ([]AdmissionChange, error) {
	if pc, ok := obj.(*api.PriorityClass); ok && r.Subresource == "" {
		if err := s.admitPriorityClass(pc); err != nil {
			return nil, &admissionRefusal{plugin: "Priority", err: apierrors.NewForbidden("scheduling.k8s.io", "priorityclasses", pc.Name, err)}
		}
		return nil, nil
	}
	if r.Verb == apiwire.VerbCreate && r.Subresource == "" {
		if changes := s.storageAdmission(obj); len(changes) > 0 {
			return changes, nil
		}
	}
	pod, ok := obj.(*api.Pod)
	if !ok || r.Verb != apiwire.VerbCreate || r.Subresource != "" {
		return nil, nil
	}
	var notes []AdmissionChange
	// ServiceAccount: default the account and require that it exists.
	if pod.Spec.ServiceAccountName == "" {
		pod.Spec.ServiceAccountName = "default"
		notes = append(notes, AdmissionChange{Plugin: "ServiceAccount", Change: "spec.serviceAccountName=default"})
	}
	pod.Spec.DeprecatedServiceAccount = pod.Spec.ServiceAccountName
	if _, exists := s.cache.get(api.KeyFor("serviceaccounts", pod.Namespace, pod.Spec.ServiceAccountName)); !exists && !isMirrorPod(pod) {
		name := pod.Name
		if r.Object != nil && r.Object.GetObjectMeta().Name == "" && pod.GenerateName != "" {
			name = pod.GenerateName // not named yet at admission
		}
		return notes, apierrors.NewForbidden("", "pods", name, fmt.Errorf("error looking up service account %s/%s: serviceaccount %q not found", pod.Namespace, pod.Spec.ServiceAccountName, pod.Spec.ServiceAccountName))
	}
	if !isMirrorPod(pod) {
		var sa *api.ServiceAccount
		if e, ok := s.cache.get(api.KeyFor("serviceaccounts", pod.Namespace, pod.Spec.ServiceAccountName)); ok {
			sa, _ = e.obj.(*api.ServiceAccount)
		}
		if volume := mountServiceAccountToken(pod, sa, s.c.Rand()); volume != "" {
			notes = append(notes, AdmissionChange{Plugin: "ServiceAccount", Change: "spec.volumes[" + volume + "]=projected(token,ca.crt,namespace) -> " + ServiceAccountTokenMountPath + " (ro)"})
		}
	}
	if err := s.admitPriority(pod); err != nil {
		return notes, &admissionRefusal{plugin: "Priority", err: apierrors.NewForbidden("", "pods", admissionName(r, pod), err)}
	}
	// DefaultTolerationSeconds: tolerate not-ready and unreachable nodes for
	// 300 s unless the pod says otherwise.
	for _, key := range []string{api.TaintNodeNotReady, api.TaintNodeUnreachable} {
		if toleratesNoExecute(pod.Spec.Tolerations, key) {
			continue
		}
		pod.Spec.Tolerations = append(pod.Spec.Tolerations, api.Toleration{
			Key: key, Operator: api.TolerationOpExists, Effect: api.TaintEffectNoExecute, TolerationSeconds: ptr(int64(300)),
		})
		notes = append(notes, AdmissionChange{Plugin: "DefaultTolerationSeconds", Change: "tolerate " + key + ":NoExecute for 300s"})
	}
	return notes, nil
}

// admissionRefusal is a mutating plugin's refusal, naming the plugin for
// the admission note; err is what the client gets.
type admissionRefusal struct {
	plugin string
	err    error
}

func (a *admissionRefusal) Error() string { return a.err.Error() }

// priorityClass is the stored PriorityClass of that name.
func (s *server) priorityClass(name string) (*api.PriorityClass, bool) {
	e, ok := s.cache.get(api.KeyFor("priorityclasses", "", name))
	if !ok {
		return nil, false
	}
	pc, ok := e.obj.(*api.PriorityClass)
	return pc, ok
}

// defaultPriorityClass is the globalDefault class; when several claim it
// (created before the check, or concurrently), the one with the lowest
// value wins, as in kube-apiserver.
func (s *server) defaultPriorityClass() *api.PriorityClass {
	var def *api.PriorityClass
	s.cache.list("/registry/priorityclasses/", func(e *cacheEntry) bool {
		if pc, ok := e.obj.(*api.PriorityClass); ok && pc.GlobalDefault && (def == nil || pc.Value < def.Value) {
			def = pc
		}
		return true
	})
	return def
}

// admitPriority is the Priority admission plugin for a new pod: it resolves
// spec.priorityClassName (or, without one, the globalDefault class) to
// spec.priority and spec.preemptionPolicy — 0 and PreemptLowerPriority when
// there is no class at all — and refuses a pod whose own priority or
// preemptionPolicy disagrees with what the class says, with kube-apiserver's
// texts.
func (s *server) admitPriority(pod *api.Pod) error {
	var priority int32
	policy := api.PreemptLowerPriority
	if name := pod.Spec.PriorityClassName; name != "" {
		pc, ok := s.priorityClass(name)
		if !ok {
			return fmt.Errorf("no PriorityClass with name %v was found", name)
		}
		priority, policy = pc.Value, policyOf(pc.PreemptionPolicy)
	} else if pc := s.defaultPriorityClass(); pc != nil {
		pod.Spec.PriorityClassName = pc.Name
		priority, policy = pc.Value, policyOf(pc.PreemptionPolicy)
	}
	if pod.Spec.Priority != nil && *pod.Spec.Priority != priority {
		return fmt.Errorf("the integer value of priority (%d) must not be provided in pod spec; priority admission controller computed %d from the given PriorityClass name", *pod.Spec.Priority, priority)
	}
	pod.Spec.Priority = ptr(priority)
	if pod.Spec.PreemptionPolicy != nil && *pod.Spec.PreemptionPolicy != policy {
		return fmt.Errorf("the string value of PreemptionPolicy (%s) must not be provided in pod spec; priority admission controller computed %s from the given PriorityClass name", *pod.Spec.PreemptionPolicy, policy)
	}
	pod.Spec.PreemptionPolicy = ptr(policy)
	return nil
}

// admitPriorityClass is the Priority admission plugin for a PriorityClass
// being created or updated: at most one class may be the globalDefault.
func (s *server) admitPriorityClass(pc *api.PriorityClass) error {
	if !pc.GlobalDefault {
		return nil
	}
	if def := s.defaultPriorityClass(); def != nil && def.Name != pc.Name {
		return fmt.Errorf("PriorityClass %v is already marked as default. Only one default can exist", def.Name)
	}
	return nil
}

// admissionName is the pod's name for an admission error: its generateName
// when the server has not named it yet.
func admissionName(r *apiwire.Request, pod *api.Pod) string {
	if r.Object != nil && r.Object.GetObjectMeta().Name == "" && pod.GenerateName != "" {
		return pod.GenerateName
	}
	return pod.Name
}

// ServiceAccountTokenMountPath is where the ServiceAccount admission plugin
// mounts the pod's API credentials in every container.
const ServiceAccountTokenMountPath = "/var/run/secrets/kubernetes.io/serviceaccount"

// serviceAccountVolumePrefix starts the name of that volume.
const serviceAccountVolumePrefix = "kube-api-access-"

// mountServiceAccountToken is the token half of the ServiceAccount
// admission plugin: unless the pod (first) or its ServiceAccount says
// automountServiceAccountToken: false, every container without a mount at
// ServiceAccountTokenMountPath gets a read-only one of a projected volume
// kube-api-access-<5 random characters> — a bound token (expirationSeconds
// 3607, path token), the kube-root-ca.crt ConfigMap's ca.crt and the
// pod's namespace — which is added unless a volume of that prefix is
// there already. It returns the volume's name when it mounted it.
func mountServiceAccountToken(pod *api.Pod, sa *api.ServiceAccount, rng *rand.Rand) string {
	automount := true
	switch {
	case pod.Spec.AutomountServiceAccountToken != nil:
		automount = *pod.Spec.AutomountServiceAccountToken
	case sa != nil && sa.AutomountServiceAccountToken != nil:
		automount = *sa.AutomountServiceAccountToken
	}
	if !automount {
		return ""
	}
	name, hasVolume := "", false
	for _, v := range pod.Spec.Volumes {
		if strings.HasPrefix(v.Name, serviceAccountVolumePrefix) {
			name, hasVolume = v.Name, true
			break
		}
	}
	if name == "" {
		name = serviceAccountVolumePrefix + randomSuffix(rng)
	}
	mounted := false
	mount := func(cs []api.Container) {
		for i := range cs {
			if !slices.ContainsFunc(cs[i].VolumeMounts, func(m api.VolumeMount) bool { return m.MountPath == ServiceAccountTokenMountPath }) {
				cs[i].VolumeMounts = append(cs[i].VolumeMounts, api.VolumeMount{Name: name, ReadOnly: true, MountPath: ServiceAccountTokenMountPath})
				mounted = true
			}
		}
	}
	mount(pod.Spec.InitContainers)
	mount(pod.Spec.Containers)
	if !mounted {
		return ""
	}
	if !hasVolume {
		pod.Spec.Volumes = append(pod.Spec.Volumes, api.Volume{Name: name, VolumeSource: api.VolumeSource{Projected: serviceAccountTokenVolume()}})
	}
	return name
}

// serviceAccountTokenVolume is the projected volume source of the
// kube-api-access volume, as kube-apiserver v1.32 writes it (defaultMode
// 0644, shown as 420).
func serviceAccountTokenVolume() *api.ProjectedVolumeSource {
	return &api.ProjectedVolumeSource{
		DefaultMode: ptr(int32(0o644)),
		Sources: []api.VolumeProjection{
			{ServiceAccountToken: &api.ServiceAccountTokenProjection{ExpirationSeconds: ptr(int64(3607)), Path: "token"}},
			{ConfigMap: &api.ConfigMapProjection{LocalObjectReference: api.LocalObjectReference{Name: RootCAConfigMap}, Items: []api.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}}},
			{DownwardAPI: &api.DownwardAPIProjection{Items: []api.DownwardAPIVolumeFile{{Path: "namespace", FieldRef: &api.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.namespace"}}}}},
		},
	}
}

// randomSuffix is the 5 characters that a generated name ends with, drawn
// as apimachinery's rand.String draws them.
func randomSuffix(rng *rand.Rand) string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	b := make([]byte, 5)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}

// RootCAConfigMap is the ConfigMap, in every namespace, that carries the
// cluster's CA bundle (kube-controller-manager's root-ca-cert-publisher
// writes it).
const RootCAConfigMap = "kube-root-ca.crt"

// isMirrorPod reports whether a pod is the apiserver's view of a static pod
// (kubelet creates those with the mirror annotation).
func isMirrorPod(p *api.Pod) bool {
	_, ok := p.Annotations[AnnotationMirrorPod]
	return ok
}

func toleratesNoExecute(ts []api.Toleration, key string) bool {
	for _, t := range ts {
		if (t.Effect == "" || t.Effect == api.TaintEffectNoExecute) && (t.Key == key || (t.Key == "" && t.Operator == api.TolerationOpExists)) {
			return true
		}
	}
	return false
}

// namespaceLifecycle is the NamespaceLifecycle admission plugin, first in
// the chain: nothing is created in a namespace that does not exist or is
// being terminated.
func (s *server) namespaceLifecycle(r *apiwire.Request, info *api.ResourceInfo, obj api.Object) error {
	if r.Verb != apiwire.VerbCreate || !info.Namespaced || r.Subresource != "" {
		return nil
	}
	ns := obj.GetObjectMeta().Namespace
	e, ok := s.cache.get(api.KeyFor("namespaces", "", ns))
	if !ok {
		return apierrors.NewNotFound("", "namespaces", ns)
	}
	if e.obj.(*api.Namespace).Status.Phase == api.NamespaceTerminating {
		// The object is named as the request named it: a generated name
		// is not chosen before admission, so the error carries the
		// generateName ("shop-7c6d5f9b8-"), the same on every retry.
		name := obj.GetObjectMeta().Name
		if r.Object != nil && r.Object.GetObjectMeta().Name == "" && r.Object.GetObjectMeta().GenerateName != "" {
			name = r.Object.GetObjectMeta().GenerateName
		}
		return apierrors.NewForbidden(info.Group, info.Resource, name, fmt.Errorf("unable to create new content in namespace %s because it is being terminated", ns))
	}
	return nil
}

// AnnotationMirrorPod marks a mirror pod: the apiserver's copy of a static
// pod that a kubelet runs from a manifest on its disk.
const AnnotationMirrorPod = "kubernetes.io/config.mirror"
