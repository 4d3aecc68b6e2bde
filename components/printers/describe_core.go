package printers

import (
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
)

// The core/v1 (and discovery.k8s.io) describers in kubectl's layout.

func init() {
	registerDescriber("services", describeService)
	registerDescriber("endpoints", describeEndpoints)
	registerDescriber("endpointslices", describeEndpointSlice)
	registerDescriber("configmaps", describeConfigMap)
	registerDescriber("secrets", describeSecret)
	registerDescriber("namespaces", describeNamespace)
	registerDescriber("serviceaccounts", describeServiceAccount)
	registerDescriber("resourcequotas", describeResourceQuota)
	registerDescriber("nodes", describeNode)
}

func header(w prefixWriter, m *api.ObjectMeta, namespaced bool) {
	w.line(0, "Name:\t%s\n", m.Name)
	if namespaced {
		w.line(0, "Namespace:\t%s\n", m.Namespace)
	}
	multiline(w, "Labels", m.Labels)
	annotations(w, "Annotations", m.Annotations)
}

func describeService(w prefixWriter, obj api.Object, events []api.Event, now time.Time, list Lister) {
	s := obj.(*api.Service)
	header(w, &s.ObjectMeta, true)
	w.line(0, "Selector:\t%s\n", formatLabels(s.Spec.Selector))
	w.line(0, "Type:\t%s\n", s.Spec.Type)
	if s.Spec.IPFamilyPolicy != nil {
		w.line(0, "IP Family Policy:\t%s\n", *s.Spec.IPFamilyPolicy)
	}
	if len(s.Spec.IPFamilies) > 0 {
		fams := make([]string, len(s.Spec.IPFamilies))
		for i, f := range s.Spec.IPFamilies {
			fams[i] = string(f)
		}
		w.line(0, "IP Families:\t%s\n", strings.Join(fams, ","))
	} else {
		w.line(0, "IP Families:\t<none>\n")
	}
	w.line(0, "IP:\t%s\n", s.Spec.ClusterIP)
	if len(s.Spec.ClusterIPs) > 0 {
		w.line(0, "IPs:\t%s\n", strings.Join(s.Spec.ClusterIPs, ","))
	} else {
		w.line(0, "IPs:\t<none>\n")
	}
	if len(s.Spec.ExternalIPs) > 0 {
		w.line(0, "External IPs:\t%v\n", strings.Join(s.Spec.ExternalIPs, ","))
	}
	if s.Spec.LoadBalancerIP != "" {
		w.line(0, "Desired LoadBalancer IP:\t%s\n", s.Spec.LoadBalancerIP)
	}
	if s.Spec.ExternalName != "" {
		w.line(0, "External Name:\t%s\n", s.Spec.ExternalName)
	}
	if ing := s.Status.LoadBalancer.Ingress; len(ing) > 0 {
		var parts []string
		for _, i := range ing {
			if i.IP != "" {
				parts = append(parts, i.IP)
			} else {
				parts = append(parts, i.Hostname)
			}
		}
		w.line(0, "LoadBalancer Ingress:\t%s\n", strings.Join(parts, ", "))
	}
	var slices []*api.EndpointSlice
	for _, o := range list("endpointslices", s.Namespace) {
		if es := o.(*api.EndpointSlice); es.Labels[api.LabelServiceName] == s.Name {
			slices = append(slices, es)
		}
	}
	for _, p := range s.Spec.Ports {
		name := p.Name
		if name == "" {
			name = "<unset>"
		}
		w.line(0, "Port:\t%s\t%d/%s\n", name, p.Port, p.Protocol)
		w.line(0, "TargetPort:\t%s/%s\n", p.TargetPort.String(), p.Protocol)
		if p.NodePort != 0 {
			w.line(0, "NodePort:\t%s\t%d/%s\n", name, p.NodePort, p.Protocol)
		}
		w.line(0, "Endpoints:\t%s\n", sliceEndpoints(slices, p.Name))
	}
	w.line(0, "Session Affinity:\t%s\n", s.Spec.SessionAffinity)
	if s.Spec.ExternalTrafficPolicy != "" {
		w.line(0, "External Traffic Policy:\t%s\n", s.Spec.ExternalTrafficPolicy)
	}
	if s.Spec.InternalTrafficPolicy != nil {
		w.line(0, "Internal Traffic Policy:\t%s\n", *s.Spec.InternalTrafficPolicy)
	}
	if s.Spec.HealthCheckNodePort != 0 {
		w.line(0, "HealthCheck NodePort:\t%d\n", s.Spec.HealthCheckNodePort)
	}
	if len(s.Spec.LoadBalancerSourceRanges) > 0 {
		w.line(0, "LoadBalancer Source Ranges:\t%v\n", strings.Join(s.Spec.LoadBalancerSourceRanges, ","))
	}
	describeEvents(w, events, now)
}

// sliceEndpoints lists the ready endpoints of a Service port across its
// EndpointSlices as "ip:port", three at most then " + N more...".
func sliceEndpoints(slices []*api.EndpointSlice, port string) string {
	if len(slices) == 0 {
		return "<none>"
	}
	const max = 3
	var list []string
	count := 0
	add := func(addr string) {
		if len(list) < max {
			list = append(list, addr)
		}
		count++
	}
	for _, s := range slices {
		for _, e := range s.Endpoints {
			if len(e.Addresses) == 0 || (e.Conditions.Ready != nil && !*e.Conditions.Ready) {
				continue
			}
			if len(s.Ports) == 0 {
				add(e.Addresses[0])
				continue
			}
		}
		for _, p := range s.Ports {
			if p.Name == nil || *p.Name != port || p.Port == nil {
				continue
			}
			for _, e := range s.Endpoints {
				if len(e.Addresses) == 0 || (e.Conditions.Ready != nil && !*e.Conditions.Ready) {
					continue
				}
				add(net.JoinHostPort(e.Addresses[0], strconv.Itoa(int(*p.Port))))
			}
		}
	}
	out := strings.Join(list, ",")
	if count > max {
		out += " + " + strconv.Itoa(count-max) + " more..."
	}
	return out
}

func describeEndpoints(w prefixWriter, obj api.Object, events []api.Event, now time.Time, _ Lister) {
	ep := obj.(*api.Endpoints)
	header(w, &ep.ObjectMeta, true)
	w.line(0, "Subsets:\n")
	ips := func(addrs []api.EndpointAddress) string {
		var out []string
		for _, a := range addrs {
			out = append(out, a.IP)
		}
		return orNone(strings.Join(out, ","))
	}
	for _, s := range ep.Subsets {
		w.line(1, "Addresses:\t%s\n", ips(s.Addresses))
		w.line(1, "NotReadyAddresses:\t%s\n", ips(s.NotReadyAddresses))
		if len(s.Ports) > 0 {
			w.line(1, "Ports:\n")
			w.line(2, "Name\tPort\tProtocol\n")
			w.line(2, "----\t----\t--------\n")
			for _, p := range s.Ports {
				name := p.Name
				if name == "" {
					name = "<unset>"
				}
				w.line(2, "%s\t%d\t%s\n", name, p.Port, p.Protocol)
			}
		}
		w.line(0, "\n")
	}
	describeEvents(w, events, now)
}

func describeEndpointSlice(w prefixWriter, obj api.Object, events []api.Event, now time.Time, _ Lister) {
	es := obj.(*api.EndpointSlice)
	header(w, &es.ObjectMeta, true)
	w.line(0, "AddressType:\t%s\n", es.AddressType)
	unset := func(p *string) string {
		if p == nil {
			return "<unset>"
		}
		return *p
	}
	if len(es.Ports) == 0 {
		w.line(0, "Ports: <unset>\n")
	} else {
		w.line(0, "Ports:\n")
		w.line(1, "Name\tPort\tProtocol\n")
		w.line(1, "----\t----\t--------\n")
		for _, p := range es.Ports {
			name := "<unset>"
			if p.Name != nil && *p.Name != "" {
				name = *p.Name
			}
			num := "<unset>"
			if p.Port != nil {
				num = strconv.Itoa(int(*p.Port))
			}
			proto := ""
			if p.Protocol != nil {
				proto = string(*p.Protocol)
			}
			w.line(1, "%s\t%s\t%s\n", name, num, proto)
		}
	}
	if len(es.Endpoints) == 0 {
		w.line(0, "Endpoints: <none>\n")
	} else {
		w.line(0, "Endpoints:\n")
		for _, e := range es.Endpoints {
			w.line(1, "- Addresses:\t%s\n", orNone(strings.Join(e.Addresses, ", ")))
			w.line(2, "Conditions:\n")
			ready := "<unset>"
			if e.Conditions.Ready != nil {
				ready = strconv.FormatBool(*e.Conditions.Ready)
			}
			w.line(3, "Ready:\t%s\n", ready)
			w.line(2, "Hostname:\t%s\n", unset(e.Hostname))
			if e.TargetRef != nil {
				w.line(2, "TargetRef:\t%s/%s\n", e.TargetRef.Kind, e.TargetRef.Name)
			}
			w.line(2, "NodeName:\t%s\n", unset(e.NodeName))
			w.line(2, "Zone:\t%s\n", unset(e.Zone))
		}
	}
	describeEvents(w, events, now)
}

// describeConfigMap lists the data keys in sorted order (kubectl walks the
// map, so its order varies from run to run).
func describeConfigMap(w prefixWriter, obj api.Object, events []api.Event, now time.Time, _ Lister) {
	cm := obj.(*api.ConfigMap)
	header(w, &cm.ObjectMeta, true)
	w.line(0, "\nData\n====\n")
	for _, k := range sortedNames(cm.Data) {
		w.line(0, "%s:\n----\n", k)
		w.line(0, "%s\n", cm.Data[k])
		w.line(0, "\n")
	}
	w.line(0, "\nBinaryData\n====\n")
	for _, k := range sortedNames(cm.BinaryData) {
		w.line(0, "%s: %s bytes\n", k, strconv.Itoa(len(cm.BinaryData[k])))
	}
	w.line(0, "\n")
	describeEvents(w, events, now)
}

// describeSecret prints sizes, never values (a service account token
// aside), keys sorted. kubectl shows no events for a Secret.
func describeSecret(w prefixWriter, obj api.Object, _ []api.Event, _ time.Time, _ Lister) {
	s := obj.(*api.Secret)
	header(w, &s.ObjectMeta, true)
	w.line(0, "\nType:\t%s\n", s.Type)
	w.line(0, "\nData\n====\n")
	for _, k := range sortedNames(s.Data) {
		if k == "token" && s.Type == api.SecretTypeServiceAccountToken {
			w.line(0, "%s:\t%s\n", k, string(s.Data[k]))
			continue
		}
		w.line(0, "%s:\t%d bytes\n", k, len(s.Data[k]))
	}
}

func describeNamespace(w prefixWriter, obj api.Object, _ []api.Event, _ time.Time, list Lister) {
	ns := obj.(*api.Namespace)
	header(w, &ns.ObjectMeta, false)
	w.line(0, "Status:\t%s\n", ns.Status.Phase)
	if len(ns.Status.Conditions) > 0 {
		w.line(0, "Conditions:\n")
		w.line(1, "Type\tStatus\tLastTransitionTime\tReason\tMessage\n")
		w.line(1, "----\t------\t------------------\t------\t-------\n")
		for _, c := range ns.Status.Conditions {
			w.line(1, "%v\t%v\t%s\t%v\t%v\n", c.Type, c.Status, c.LastTransitionTime.Time.Format(describeTime), c.Reason, c.Message)
		}
	}
	w.line(0, "\n")
	quotas := list("resourcequotas", ns.Name)
	if len(quotas) == 0 {
		w.line(0, "No resource quota.\n")
	} else {
		sort.SliceStable(quotas, func(i, j int) bool { return quotas[i].GetObjectMeta().Name < quotas[j].GetObjectMeta().Name })
		w.line(0, "Resource Quotas\n")
		for _, o := range quotas {
			q := o.(*api.ResourceQuota)
			w.line(1, "Name:\t%s\n", q.Name)
			quotaScopes(w, q, 1, "* ")
			w.line(1, "Resource\tUsed\tHard\n")
			w.line(1, "--------\t---\t---\n")
			for _, r := range sortedNames(q.Status.Hard) {
				used, hard := q.Status.Used[r], q.Status.Hard[r]
				w.line(1, "%s\t%s\t%s\n", r, used.String(), hard.String())
			}
		}
	}
	// kubectl lists LimitRanges next; a server without the resource (kubesim
	// until it serves limitranges) makes kubectl leave the section out.
	if _, ok := api.ResourceFor("limitranges"); ok && len(list("limitranges", ns.Name)) == 0 {
		w.line(0, "\n")
		w.line(0, "No LimitRange resource.\n")
	}
}

var quotaScopeHelp = map[api.ResourceQuotaScope]string{
	"Terminating":    "Matches all pods that have an active deadline. These pods have a limited lifespan on a node before being actively terminated by the system.",
	"NotTerminating": "Matches all pods that do not have an active deadline. These pods usually include long running pods whose container command is not expected to terminate.",
	"BestEffort":     "Matches all pods that do not have resource requirements set. These pods have a best effort quality of service.",
	"NotBestEffort":  "Matches all pods that have at least one resource requirement set. These pods have a burstable or guaranteed quality of service.",
}

func quotaScopes(w prefixWriter, q *api.ResourceQuota, level int, bullet string) {
	if len(q.Spec.Scopes) == 0 {
		return
	}
	scopes := make([]string, len(q.Spec.Scopes))
	for i, s := range q.Spec.Scopes {
		scopes[i] = string(s)
	}
	sort.Strings(scopes)
	w.line(level, "Scopes:\t%s\n", strings.Join(scopes, ", "))
	for _, s := range scopes {
		if help := quotaScopeHelp[api.ResourceQuotaScope(s)]; help != "" {
			w.line(level, "%s%s\n", bullet, help)
		}
	}
}

// describeResourceQuota shows used amounts in the hard limit's format, as
// kubectl does. kubectl shows no events for a quota.
func describeResourceQuota(w prefixWriter, obj api.Object, _ []api.Event, _ time.Time, _ Lister) {
	q := obj.(*api.ResourceQuota)
	w.line(0, "Name:\t%s\n", q.Name)
	w.line(0, "Namespace:\t%s\n", q.Namespace)
	quotaScopes(w, q, 0, " * ")
	w.line(0, "Resource\tUsed\tHard\n")
	w.line(0, "--------\t----\t----\n")
	for _, r := range sortedNames(q.Status.Hard) {
		hard, used := q.Status.Hard[r], q.Status.Used[r]
		if hard.Format() != used.Format() {
			used = api.NewQuantity(used.Value(), hard.Format())
		}
		w.line(0, "%v\t%v\t%v\n", r, used.String(), hard.String())
	}
}

func describeServiceAccount(w prefixWriter, obj api.Object, events []api.Event, now time.Time, list Lister) {
	sa := obj.(*api.ServiceAccount)
	header(w, &sa.ObjectMeta, true)
	existing := map[string]bool{}
	var tokens []string
	for _, o := range list("secrets", sa.Namespace) {
		s := o.(*api.Secret)
		existing[s.Name] = true
		if s.Type == api.SecretTypeServiceAccountToken && s.Annotations["kubernetes.io/service-account.name"] == sa.Name &&
			s.Annotations["kubernetes.io/service-account.uid"] == string(sa.UID) {
			tokens = append(tokens, s.Name)
		}
	}
	var pull, mount []string
	for _, s := range sa.ImagePullSecrets {
		pull = append(pull, s.Name)
	}
	for _, s := range sa.Secrets {
		mount = append(mount, s.Name)
	}
	// kubectl prints the three lists in the order of their padded titles.
	for _, g := range []struct {
		title string
		names []string
	}{{"Image pull secrets:", pull}, {"Mountable secrets: ", mount}, {"Tokens:            ", tokens}} {
		if len(g.names) == 0 {
			w.line(0, "%s\t<none>\n", g.title)
			continue
		}
		prefix := g.title
		for _, n := range g.names {
			if existing[n] {
				w.line(0, "%s\t%s\n", prefix, n)
			} else {
				w.line(0, "%s\t%s (not found)\n", prefix, n)
			}
			prefix = "                   "
		}
	}
	describeEvents(w, events, now)
}
