package printers

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
)

// The column sets below are kube-apiserver's (pkg/printers/internalversion)
// for built-in kinds and the CRDs' additionalPrinterColumns for Cilium's.

func init() {
	register("nodes", []Column{
		nameColumn(),
		col("Status", "string", "The status of the node"),
		col("Roles", "string", "The roles of the node"),
		ageColumn(),
		col("Version", "string", "Kubelet Version reported by the node."),
		wide("Internal-IP", "string", "List of addresses reachable to the node. Queried from cloud provider, if available."),
		wide("External-IP", "string", "List of addresses reachable to the node. Queried from cloud provider, if available."),
		wide("OS-Image", "string", "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy))."),
		wide("Kernel-Version", "string", "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)."),
		wide("Container-Runtime", "string", "Container runtime version reported by the node through runtime remote API (e.g. containerd://1.4.2)."),
	}, func(obj api.Object, now time.Time) []any {
		n := obj.(*api.Node)
		return []any{n.Name, NodeStatus(n), NodeRoles(n), Age(n.CreationTimestamp, now), n.Status.NodeInfo.KubeletVersion,
			orNone(nodeAddress(n, api.NodeInternalIP)), orNone(nodeAddress(n, api.NodeExternalIP)),
			orUnknown(n.Status.NodeInfo.OSImage), orUnknown(n.Status.NodeInfo.KernelVersion), orUnknown(n.Status.NodeInfo.ContainerRuntimeVersion)}
	})

	register("services", []Column{
		nameColumn(),
		col("Type", "string", "type determines how the Service is exposed."),
		col("Cluster-IP", "string", "clusterIP is the IP address of the service and is usually assigned randomly."),
		col("External-IP", "string", "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service."),
		col("Port(s)", "string", "The list of ports that are exposed by this service."),
		ageColumn(),
		wide("Selector", "string", "Route service traffic to pods with label keys and values matching this selector."),
	}, func(obj api.Object, now time.Time) []any {
		s := obj.(*api.Service)
		clusterIP := "<none>"
		if len(s.Spec.ClusterIPs) > 0 {
			clusterIP = s.Spec.ClusterIPs[0]
		} else if s.Spec.ClusterIP != "" {
			clusterIP = s.Spec.ClusterIP
		}
		ports := ServicePorts(s.Spec.Ports)
		if ports == "" {
			ports = "<none>"
		}
		return []any{s.Name, string(s.Spec.Type), clusterIP, serviceExternalIP(s), ports, Age(s.CreationTimestamp, now), formatLabels(s.Spec.Selector)}
	})

	register("endpointslices", []Column{
		nameColumn(),
		col("AddressType", "string", "addressType specifies the type of address carried by this EndpointSlice."),
		col("Ports", "string", "ports specifies the list of network ports exposed by each endpoint in this slice."),
		col("Endpoints", "string", "endpoints is a list of unique endpoints in this slice."),
		ageColumn(),
	}, func(obj api.Object, now time.Time) []any {
		s := obj.(*api.EndpointSlice)
		var ports []string
		for _, p := range s.Ports {
			switch {
			case p.Port != nil:
				ports = append(ports, strconv.Itoa(int(*p.Port)))
			case p.Name != nil:
				ports = append(ports, *p.Name)
			default:
				ports = append(ports, "*")
			}
		}
		var addrs []string
		for _, e := range s.Endpoints {
			addrs = append(addrs, e.Addresses...)
		}
		return []any{s.Name, string(s.AddressType), firstThree(ports), firstThree(addrs), Age(s.CreationTimestamp, now)}
	})

	register("endpoints", []Column{
		nameColumn(),
		col("Endpoints", "string", "Endpoints is the list of endpoints."),
		ageColumn(),
	}, func(obj api.Object, now time.Time) []any {
		e := obj.(*api.Endpoints)
		return []any{e.Name, formatEndpoints(e), Age(e.CreationTimestamp, now)}
	})

	register("events", []Column{
		col("Last Seen", "string", "Time when last event occurred"),
		col("Type", "string", "Type of this event (Normal, Warning), new types could be added in the future."),
		col("Reason", "string", "Reason why the action was taken. It is human-readable. This field cannot be empty for new Events and it can have at most 128 characters."),
		col("Object", "string", "Object this event is about."),
		wide("Subobject", "string", "Subobject of the object this event is about (its fieldPath)."),
		wide("Source", "string", "The component reporting this event. Should be a short machine understandable string."),
		col("Message", "string", "A human-readable description of the status of this operation."),
		wide("First Seen", "string", "Time when first event occurred"),
		wide("Count", "string", "The number of times this event has occurred."),
		wide("Name", "string", "Name of the event."),
	}, func(obj api.Object, now time.Time) []any {
		e := obj.(*api.Event)
		first := Age(e.FirstTimestamp, now)
		if e.FirstTimestamp.IsZero() {
			first = microAge(e.EventTime, now)
		}
		last := Age(e.LastTimestamp, now)
		if e.LastTimestamp.IsZero() {
			last = first
		}
		count := e.Count
		if e.Series != nil {
			last = microAge(e.Series.LastObservedTime, now)
			count = e.Series.Count
		} else if count == 0 {
			count = 1
		}
		return []any{last, e.Type, e.Reason, EventObject(e), e.InvolvedObject.FieldPath, EventSource(e), strings.TrimSpace(e.Message), first, int64(count), e.Name}
	})

	register("deployments", []Column{
		nameColumn(),
		col("Ready", "string", "Number of the pod with ready state"),
		col("Up-to-date", "string", "Total number of non-terminated pods targeted by this deployment that have the desired template spec."),
		col("Available", "string", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."),
		ageColumn(),
		wide("Containers", "string", "Names of each container in the template."),
		wide("Images", "string", "Images referenced by each container in the template."),
		wide("Selector", "string", "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment."),
	}, func(obj api.Object, now time.Time) []any {
		d := obj.(*api.Deployment)
		names, images := containers(d.Spec.Template.Spec.Containers)
		return []any{d.Name, fmt.Sprintf("%d/%d", d.Status.ReadyReplicas, replicas(d.Spec.Replicas)), int64(d.Status.UpdatedReplicas), int64(d.Status.AvailableReplicas),
			Age(d.CreationTimestamp, now), names, images, api.FormatLabelSelector(d.Spec.Selector)}
	})

	register("replicasets", []Column{
		nameColumn(),
		col("Desired", "integer", "Replicas is the number of desired replicas."),
		col("Current", "integer", "Replicas is the most recently observed number of replicas."),
		col("Ready", "integer", "The number of ready replicas for this replica set."),
		ageColumn(),
		wide("Containers", "string", "Names of each container in the template."),
		wide("Images", "string", "Images referenced by each container in the template."),
		wide("Selector", "string", "Selector is a label query over pods that should match the replica count."),
	}, func(obj api.Object, now time.Time) []any {
		r := obj.(*api.ReplicaSet)
		names, images := containers(r.Spec.Template.Spec.Containers)
		return []any{r.Name, int64(replicas(r.Spec.Replicas)), int64(r.Status.Replicas), int64(r.Status.ReadyReplicas),
			Age(r.CreationTimestamp, now), names, images, api.FormatLabelSelector(r.Spec.Selector)}
	})

	register("daemonsets", []Column{
		nameColumn(),
		col("Desired", "integer", "The total number of nodes that should be running the daemon pod."),
		col("Current", "integer", "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod."),
		col("Ready", "integer", "numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition."),
		col("Up-to-date", "integer", "The total number of nodes that are running updated daemon pod"),
		col("Available", "integer", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)"),
		col("Node Selector", "string", "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node."),
		ageColumn(),
		wide("Containers", "string", "Names of each container in the template."),
		wide("Images", "string", "Images referenced by each container in the template."),
		wide("Selector", "string", "A label query over pods that are managed by the daemon set."),
	}, func(obj api.Object, now time.Time) []any {
		d := obj.(*api.DaemonSet)
		names, images := containers(d.Spec.Template.Spec.Containers)
		st := d.Status
		return []any{d.Name, int64(st.DesiredNumberScheduled), int64(st.CurrentNumberScheduled), int64(st.NumberReady), int64(st.UpdatedNumberScheduled), int64(st.NumberAvailable),
			formatLabels(d.Spec.Template.Spec.NodeSelector), Age(d.CreationTimestamp, now), names, images, api.FormatLabelSelector(d.Spec.Selector)}
	})

	register("statefulsets", []Column{
		nameColumn(),
		col("Ready", "string", "Number of the pod with ready state"),
		ageColumn(),
		wide("Containers", "string", "Names of each container in the template."),
		wide("Images", "string", "Images referenced by each container in the template."),
	}, func(obj api.Object, now time.Time) []any {
		s := obj.(*api.StatefulSet)
		names, images := containers(s.Spec.Template.Spec.Containers)
		desired := int32(1)
		if s.Spec.Replicas != nil {
			desired = *s.Spec.Replicas
		}
		return []any{s.Name, fmt.Sprintf("%d/%d", s.Status.ReadyReplicas, desired), Age(s.CreationTimestamp, now), names, images}
	})

	register("namespaces", []Column{
		nameColumn(),
		col("Status", "string", "The status of the namespace"),
		ageColumn(),
	}, func(obj api.Object, now time.Time) []any {
		n := obj.(*api.Namespace)
		return []any{n.Name, string(n.Status.Phase), Age(n.CreationTimestamp, now)}
	})

	register("leases", []Column{
		nameColumn(),
		col("Holder", "string", "holderIdentity contains the identity of the holder of a current lease."),
		ageColumn(),
	}, func(obj api.Object, now time.Time) []any {
		l := obj.(*api.Lease)
		holder := ""
		if l.Spec.HolderIdentity != nil {
			holder = *l.Spec.HolderIdentity
		}
		return []any{l.Name, holder, Age(l.CreationTimestamp, now)}
	})

	register("priorityclasses", []Column{
		nameColumn(),
		col("Value", "integer", "value represents the integer value of this priority class. This is the actual priority that pods receive when they have the name of this class in their pod spec."),
		col("Global-Default", "boolean", "globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class. Only one PriorityClass can be marked as `globalDefault`. However, if more than one PriorityClasses exists with their `globalDefault` field set to true, the smallest value of such global default PriorityClasses will be used as the default priority."),
		ageColumn(),
		col("PreemptionPolicy", "string", "preemptionPolicy is the Policy for preempting pods with lower priority. One of Never, PreemptLowerPriority. Defaults to PreemptLowerPriority if unset."),
	}, func(obj api.Object, now time.Time) []any {
		pc := obj.(*api.PriorityClass)
		policy := ""
		if pc.PreemptionPolicy != nil {
			policy = string(*pc.PreemptionPolicy)
		}
		return []any{pc.Name, int64(pc.Value), pc.GlobalDefault, Age(pc.CreationTimestamp, now), policy}
	})

	register("configmaps", []Column{
		nameColumn(),
		col("Data", "string", "Data contains the configuration data."),
		ageColumn(),
	}, func(obj api.Object, now time.Time) []any {
		c := obj.(*api.ConfigMap)
		return []any{c.Name, int64(len(c.Data) + len(c.BinaryData)), Age(c.CreationTimestamp, now)}
	})

	register("secrets", []Column{
		nameColumn(),
		col("Type", "string", "Used to facilitate programmatic handling of secret data."),
		col("Data", "string", "Data contains the secret data."),
		ageColumn(),
	}, func(obj api.Object, now time.Time) []any {
		s := obj.(*api.Secret)
		return []any{s.Name, string(s.Type), int64(len(s.Data)), Age(s.CreationTimestamp, now)}
	})

	register("resourcequotas", []Column{
		nameColumn(),
		ageColumn(),
		col("Request", "string", "Request represents a minimum amount of cpu/memory that a container may consume."),
		col("Limit", "string", "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node."),
	}, func(obj api.Object, now time.Time) []any {
		q := obj.(*api.ResourceQuota)
		request, limit := QuotaColumns(q)
		return []any{q.Name, Age(q.CreationTimestamp, now), request, limit}
	})

	register("serviceaccounts", []Column{
		nameColumn(),
		col("Secrets", "string", "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use."),
		ageColumn(),
	}, func(obj api.Object, now time.Time) []any {
		s := obj.(*api.ServiceAccount)
		return []any{s.Name, int64(len(s.Secrets)), Age(s.CreationTimestamp, now)}
	})

	register("networkpolicies", []Column{
		nameColumn(),
		col("Pod-Selector", "string", "Selects the pods to which this NetworkPolicy object applies."),
		ageColumn(),
	}, func(obj api.Object, now time.Time) []any {
		n := obj.(*api.NetworkPolicy)
		return []any{n.Name, api.FormatLabelSelector(&n.Spec.PodSelector), Age(n.CreationTimestamp, now)}
	})

	register("poddisruptionbudgets", []Column{
		nameColumn(),
		col("Min Available", "string", "The minimum number of pods that must be available."),
		col("Max Unavailable", "string", "The maximum number of pods that may be unavailable."),
		col("Allowed Disruptions", "integer", "Calculated number of pods that may be disrupted at this time."),
		ageColumn(),
	}, func(obj api.Object, now time.Time) []any {
		p := obj.(*api.PodDisruptionBudget)
		minA, maxU := "N/A", "N/A"
		if p.Spec.MinAvailable != nil {
			minA = p.Spec.MinAvailable.String()
		}
		if p.Spec.MaxUnavailable != nil {
			maxU = p.Spec.MaxUnavailable.String()
		}
		return []any{p.Name, minA, maxU, int64(p.Status.DisruptionsAllowed), Age(p.CreationTimestamp, now)}
	})

	register("controllerrevisions", []Column{
		nameColumn(),
		col("Controller", "string", "Controller of the object"),
		col("Revision", "string", "Revision indicates the revision of the state represented by Data."),
		ageColumn(),
	}, func(obj api.Object, now time.Time) []any {
		c := obj.(*api.ControllerRevision)
		ctrl := "<none>"
		if ref := c.ControllerRef(); ref != nil {
			gv := api.ParseGroupVersion(ref.APIVersion)
			kind := strings.ToLower(ref.Kind)
			if gv.Group != "" {
				kind += "." + gv.Group
			}
			ctrl = kind + "/" + ref.Name
		}
		return []any{c.Name, ctrl, c.Revision, Age(c.CreationTimestamp, now)}
	})

	register("horizontalpodautoscalers", []Column{
		nameColumn(),
		col("Reference", "string", "scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics should be collected, as well as to actually change the replica count."),
		col("Targets", "string", "metrics contains the specifications for which to use to calculate the desired replica count (the maximum replica count across all metrics will be used)."),
		col("MinPods", "string", "minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down. It defaults to 1 pod."),
		col("MaxPods", "string", "maxReplicas is the upper limit for the number of pods that can be set by the autoscaler; cannot be smaller than MinReplicas."),
		col("Replicas", "string", "currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the autoscaler."),
		ageColumn(),
	}, func(obj api.Object, now time.Time) []any {
		h := obj.(*api.HorizontalPodAutoscaler)
		var minPods any = "<unset>"
		if h.Spec.MinReplicas != nil {
			minPods = int64(*h.Spec.MinReplicas)
		}
		ref := h.Spec.ScaleTargetRef.Kind + "/" + h.Spec.ScaleTargetRef.Name
		return []any{h.Name, ref, FormatHPATargets(h), minPods, int64(h.Spec.MaxReplicas), int64(h.Status.CurrentReplicas), Age(h.CreationTimestamp, now)}
	})

	register("jobs", []Column{
		nameColumn(),
		col("Status", "string", "Status of the job."),
		col("Completions", "string", "The desired number of successfully finished pods the job should be run with."),
		col("Duration", "string", "Time required to complete the job."),
		ageColumn(),
	}, func(obj api.Object, now time.Time) []any {
		j := obj.(*api.Job)
		return []any{j.Name, jobStatus(j), jobCompletions(j), jobDuration(j, now), Age(j.CreationTimestamp, now)}
	})

	register("cronjobs", []Column{
		nameColumn(),
		col("Schedule", "string", "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron."),
		col("Timezone", "string", "The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones."),
		col("Suspend", "boolean", "This flag tells the controller to suspend subsequent executions, it does not apply to already started executions."),
		col("Active", "integer", "A list of pointers to currently running jobs."),
		col("Last Schedule", "string", "Information when was the last time the job was successfully scheduled."),
		ageColumn(),
	}, func(obj api.Object, now time.Time) []any {
		c := obj.(*api.CronJob)
		tz, suspend, last := "<none>", "<unset>", "<none>"
		if c.Spec.TimeZone != nil {
			tz = *c.Spec.TimeZone
		}
		if c.Spec.Suspend != nil {
			suspend = "False"
			if *c.Spec.Suspend {
				suspend = "True"
			}
		}
		if c.Status.LastScheduleTime != nil {
			last = Age(*c.Status.LastScheduleTime, now)
		}
		return []any{c.Name, c.Spec.Schedule, tz, suspend, int64(len(c.Status.Active)), last, Age(c.CreationTimestamp, now)}
	})

	createdAt := []Column{nameColumn(), {Name: "Created At", Type: "date", Description: "CreationTimestamp is a timestamp representing the server time when this object was created."}}
	createdAtRow := func(obj api.Object, _ time.Time) []any {
		m := obj.GetObjectMeta()
		return []any{m.Name, m.CreationTimestamp.UTC().Format(time.RFC3339)}
	}
	register("roles", createdAt, createdAtRow)
	register("clusterroles", createdAt, createdAtRow)
	register("limitranges", createdAt, createdAtRow)

	bindingColumns := []Column{
		nameColumn(),
		col("Role", "string", "Role of the binding"),
		ageColumn(),
		wide("Users", "string", "Users in the binding"),
		wide("Groups", "string", "Groups in the binding"),
		wide("ServiceAccounts", "string", "ServiceAccounts in the binding"),
	}
	bindingRow := func(name string, ref api.RoleRef, subjects []api.Subject, created api.Time, now time.Time) []any {
		var users, groups, sas []string
		for _, s := range subjects {
			switch s.Kind {
			case "User":
				users = append(users, s.Name)
			case "Group":
				groups = append(groups, s.Name)
			case "ServiceAccount":
				sas = append(sas, s.Namespace+"/"+s.Name)
			}
		}
		return []any{name, ref.Kind + "/" + ref.Name, Age(created, now), strings.Join(users, ", "), strings.Join(groups, ", "), strings.Join(sas, ", ")}
	}
	register("rolebindings", bindingColumns, func(obj api.Object, now time.Time) []any {
		b := obj.(*api.RoleBinding)
		return bindingRow(b.Name, b.RoleRef, b.Subjects, b.CreationTimestamp, now)
	})
	register("clusterrolebindings", bindingColumns, func(obj api.Object, now time.Time) []any {
		b := obj.(*api.ClusterRoleBinding)
		return bindingRow(b.Name, b.RoleRef, b.Subjects, b.CreationTimestamp, now)
	})

	// Cilium's CRDs print their additionalPrinterColumns.
	register("ciliumnetworkpolicies", []Column{
		nameColumn(),
		{Name: "Age", Type: "date"},
		{Name: "Valid", Type: "string"},
	}, func(obj api.Object, now time.Time) []any {
		p := obj.(*api.CiliumNetworkPolicy)
		valid := ""
		for _, c := range p.Status.Conditions {
			if c.Type == "Valid" {
				valid = string(c.Status)
			}
		}
		return []any{p.Name, Age(p.CreationTimestamp, now), valid}
	})
	register("ciliumendpoints", []Column{
		nameColumn(),
		{Name: "Security Identity", Type: "integer", Description: "Cilium identity id"},
		{Name: "Endpoint State", Type: "string", Description: "Endpoint current state"},
		{Name: "IPv4", Type: "string", Description: "Endpoint IPv4 address"},
		{Name: "IPv6", Type: "string", Description: "Endpoint IPv6 address"},
	}, func(obj api.Object, _ time.Time) []any {
		e := obj.(*api.CiliumEndpoint)
		var id any = ""
		if e.Status.Identity != nil {
			id = e.Status.Identity.ID
		}
		v4, v6 := "", ""
		if n := e.Status.Networking; n != nil && len(n.Addressing) > 0 {
			v4, v6 = n.Addressing[0].IPv4, n.Addressing[0].IPv6
		}
		return []any{e.Name, id, e.Status.State, v4, v6}
	})
	register("ciliumnodes", []Column{
		nameColumn(),
		{Name: "CiliumInternalIP", Type: "string", Description: "Cilium internal IP for this node"},
		{Name: "InternalIP", Type: "string", Description: "IP of the node"},
		{Name: "Age", Type: "date", Description: "Time duration since creation of Ciliumnode"},
	}, func(obj api.Object, now time.Time) []any {
		n := obj.(*api.CiliumNode)
		addr := func(t string) string {
			for _, a := range n.Spec.Addresses {
				if a.Type == t {
					return a.IP
				}
			}
			return ""
		}
		return []any{n.Name, addr("CiliumInternalIP"), addr("InternalIP"), Age(n.CreationTimestamp, now)}
	})
	register("ciliumidentities", []Column{
		nameColumn(),
		{Name: "Namespace", Type: "string", Description: "The namespace of the entity"},
		{Name: "Age", Type: "date", Description: "The age of the identity"},
	}, func(obj api.Object, now time.Time) []any {
		i := obj.(*api.CiliumIdentity)
		return []any{i.Name, i.Labels["io.kubernetes.pod.namespace"], Age(i.CreationTimestamp, now)}
	})
}

// NodeStatus is the STATUS of a node: Ready, NotReady or Unknown (no Ready
// condition), with ",SchedulingDisabled" when it is cordoned.
func NodeStatus(n *api.Node) string {
	status := "Unknown"
	for _, c := range n.Status.Conditions {
		if c.Type == api.NodeReady {
			if c.Status == api.ConditionTrue {
				status = "Ready"
			} else {
				status = "NotReady"
			}
		}
	}
	if n.Spec.Unschedulable {
		status += ",SchedulingDisabled"
	}
	return status
}

// NodeRoles is the ROLES of a node: the suffixes of its
// node-role.kubernetes.io/* labels and the value of kubernetes.io/role,
// sorted and comma-separated; "<none>" without any.
func NodeRoles(n *api.Node) string {
	set := map[string]bool{}
	for k, v := range n.Labels {
		switch {
		case strings.HasPrefix(k, api.LabelNodeRolePrefix):
			if role := strings.TrimPrefix(k, api.LabelNodeRolePrefix); role != "" {
				set[role] = true
			}
		case k == "kubernetes.io/role" && v != "":
			set[v] = true
		}
	}
	if len(set) == 0 {
		return "<none>"
	}
	roles := make([]string, 0, len(set))
	for r := range set {
		roles = append(roles, r)
	}
	sort.Strings(roles)
	return strings.Join(roles, ",")
}

func nodeAddress(n *api.Node, t api.NodeAddressType) string {
	for _, a := range n.Status.Addresses {
		if a.Type == t {
			return a.Address
		}
	}
	return ""
}

// ServicePorts is the PORT(S) of a Service: "80/TCP", "80:30080/TCP" with
// a node port, comma-separated.
func ServicePorts(ports []api.ServicePort) string {
	out := make([]string, len(ports))
	for i, p := range ports {
		proto := p.Protocol
		if proto == "" {
			proto = api.ProtocolTCP
		}
		if p.NodePort > 0 {
			out[i] = fmt.Sprintf("%d:%d/%s", p.Port, p.NodePort, proto)
		} else {
			out[i] = fmt.Sprintf("%d/%s", p.Port, proto)
		}
	}
	return strings.Join(out, ",")
}

func serviceExternalIP(s *api.Service) string {
	switch s.Spec.Type {
	case api.ServiceTypeClusterIP, api.ServiceTypeNodePort, "":
		if len(s.Spec.ExternalIPs) > 0 {
			return strings.Join(s.Spec.ExternalIPs, ",")
		}
		return "<none>"
	case api.ServiceTypeLoadBalancer:
		var ips []string
		for _, in := range s.Status.LoadBalancer.Ingress {
			if in.IP != "" {
				ips = append(ips, in.IP)
			} else if in.Hostname != "" {
				ips = append(ips, in.Hostname)
			}
		}
		ips = append(ips, s.Spec.ExternalIPs...)
		if len(ips) == 0 {
			return "<pending>"
		}
		return strings.Join(ips, ",")
	case api.ServiceTypeExternalName:
		return s.Spec.ExternalName
	}
	return "<unknown>"
}

// firstThree joins up to three items and counts the rest, as the
// EndpointSlice columns do: "10.0.0.1,10.0.0.2,10.0.0.3 + 2 more...";
// "<unset>" when empty.
func firstThree(items []string) string {
	const max = 3
	if len(items) > max {
		return fmt.Sprintf("%s + %d more...", strings.Join(items[:max], ","), len(items)-max)
	}
	if len(items) == 0 {
		return "<unset>"
	}
	return strings.Join(items, ",")
}

func formatEndpoints(e *api.Endpoints) string {
	if len(e.Subsets) == 0 {
		return "<none>"
	}
	const max = 3
	var list []string
	count := 0
	for _, ss := range e.Subsets {
		if len(ss.Ports) == 0 {
			for _, a := range ss.Addresses {
				count++
				if len(list) < max {
					list = append(list, a.IP)
				}
			}
			continue
		}
		for _, p := range ss.Ports {
			for _, a := range ss.Addresses {
				count++
				if len(list) < max {
					list = append(list, net.JoinHostPort(a.IP, strconv.Itoa(int(p.Port))))
				}
			}
		}
	}
	if count > max {
		return fmt.Sprintf("%s + %d more...", strings.Join(list, ","), count-max)
	}
	return strings.Join(list, ",")
}

// EventObject is the OBJECT of an event: "pod/web-1".
func EventObject(e *api.Event) string {
	kind := strings.ToLower(e.InvolvedObject.Kind)
	if e.InvolvedObject.Name == "" {
		return kind
	}
	return kind + "/" + e.InvolvedObject.Name
}

// EventSource is the SOURCE (describe's From) of an event: the component,
// then the host or reporting instance.
func EventSource(e *api.Event) string {
	c := e.Source.Component
	if c == "" {
		c = e.ReportingController
	}
	parts := []string{c}
	if e.Source.Host != "" {
		parts = append(parts, e.Source.Host)
	} else if e.ReportingInstance != "" {
		parts = append(parts, e.ReportingInstance)
	}
	return strings.Join(parts, ", ")
}

func containers(cs []api.Container) (names, images string) {
	n := make([]string, len(cs))
	im := make([]string, len(cs))
	for i, c := range cs {
		n[i], im[i] = c.Name, c.Image
	}
	return strings.Join(n, ","), strings.Join(im, ",")
}

func replicas(r *int32) int32 {
	if r == nil {
		return 1
	}
	return *r
}

// formatLabels renders a label map as "a=b,c=d" (sorted); "<none>" when
// empty.
func formatLabels(m map[string]string) string {
	if len(m) == 0 {
		return "<none>"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ",")
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

func orUnknown(s string) string {
	if s == "" {
		return "<unknown>"
	}
	return s
}

// FormatHPATargets is the TARGETS column of kubectl get hpa: per metric
// "<resource>: <current>/<target>" ("cpu: 73%/50%", "<unknown>" before the
// first reading), at most two then " + N more...", "<none>" without metrics.
func FormatHPATargets(h *api.HorizontalPodAutoscaler) string {
	var list []string
	for i, m := range h.Spec.Metrics {
		var st *api.ResourceMetricStatus
		if i < len(h.Status.CurrentMetrics) {
			st = h.Status.CurrentMetrics[i].Resource
		}
		switch {
		case m.Type == api.ResourceMetricSourceType && m.Resource != nil && m.Resource.Target.AverageValue != nil:
			current := "<unknown>"
			if st != nil && st.Current.AverageValue != nil {
				current = st.Current.AverageValue.String()
			}
			list = append(list, fmt.Sprintf("%s: %s/%s", m.Resource.Name, current, m.Resource.Target.AverageValue.String()))
		case m.Type == api.ResourceMetricSourceType && m.Resource != nil:
			current := "<unknown>"
			if st != nil && st.Current.AverageUtilization != nil {
				current = fmt.Sprintf("%d%%", *st.Current.AverageUtilization)
			}
			target := "<auto>"
			if m.Resource.Target.AverageUtilization != nil {
				target = fmt.Sprintf("%d%%", *m.Resource.Target.AverageUtilization)
			}
			list = append(list, fmt.Sprintf("%s: %s/%s", m.Resource.Name, current, target))
		default:
			list = append(list, "<unknown type>")
		}
	}
	if len(list) == 0 {
		return "<none>"
	}
	if len(list) > 2 {
		return fmt.Sprintf("%s + %d more...", strings.Join(list[:2], ", "), len(list)-2)
	}
	return strings.Join(list, ", ")
}

// QuotaColumns is a ResourceQuota's REQUEST and LIMIT cells: "used/hard"
// for each resource of status.hard in name order, the limits.* ones under
// LIMIT and the rest under REQUEST ("pods: 3/4, requests.cpu: 1800m/2").
func QuotaColumns(q *api.ResourceQuota) (request, limit string) {
	names := make([]string, 0, len(q.Status.Hard))
	for n := range q.Status.Hard {
		names = append(names, string(n))
	}
	sort.Strings(names)
	var req, lim []string
	for _, n := range names {
		used, hard := q.Status.Used[api.ResourceName(n)], q.Status.Hard[api.ResourceName(n)]
		cell := n + ": " + quantityOrZero(used) + "/" + quantityOrZero(hard)
		if first, _, ok := strings.Cut(n, "."); ok && first == "limits" {
			lim = append(lim, cell)
		} else {
			req = append(req, cell)
		}
	}
	return strings.Join(req, ", "), strings.Join(lim, ", ")
}

func quantityOrZero(q api.Quantity) string {
	if q.IsZero() {
		return "0"
	}
	return q.String()
}
