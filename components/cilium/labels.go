package cilium

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/kubesim/kubesim/components/api"
)

// Label sources.
const (
	SourceK8s      = "k8s"
	SourceReserved = "reserved"
	SourceAny      = "any"
)

// Labels Cilium adds to every pod's identity.
const (
	LabelPodNamespace         = "io.kubernetes.pod.namespace"
	LabelServiceAccount       = "io.cilium.k8s.policy.serviceaccount"
	LabelCluster              = "io.cilium.k8s.policy.cluster"
	LabelNamespaceLabelPrefix = "io.cilium.k8s.namespace.labels."
	// DefaultClusterName is Cilium's cluster-name default.
	DefaultClusterName = "default"
)

// Label is one Cilium label: a source ("k8s", "reserved"), a key and a
// value, written "k8s:app=xwing" (or "reserved:host" without a value).
type Label struct {
	Source string
	Key    string
	Value  string
}

func (l Label) String() string {
	if l.Value == "" {
		return l.Source + ":" + l.Key
	}
	return l.Source + ":" + l.Key + "=" + l.Value
}

// ParseLabel parses "source:key=value"; without a source the label is
// "any", as Cilium reads selector keys.
func ParseLabel(s string) Label {
	var l Label
	if i := strings.IndexByte(s, '='); i >= 0 {
		s, l.Value = s[:i], s[i+1:]
	}
	l.Source, l.Key = splitSource(s)
	return l
}

// splitSource splits "k8s:app" into ("k8s", "app"); a key without a
// source, or whose prefix is not a known source, is "any".
func splitSource(key string) (string, string) {
	if i := strings.IndexByte(key, ':'); i > 0 {
		switch src := key[:i]; src {
		case SourceK8s, SourceReserved, SourceAny, "cidr", "container", "unspec", "fqdn", "cilium-generated":
			return src, key[i+1:]
		}
	}
	return SourceAny, key
}

// Labels is a set of labels sorted by source and key — the security
// relevant labels of an identity.
type Labels []Label

// NewLabels sorts and de-duplicates (the last value of a key wins).
func NewLabels(ls ...Label) Labels {
	m := map[string]Label{}
	for _, l := range ls {
		m[l.Source+":"+l.Key] = l
	}
	out := make(Labels, 0, len(m))
	for _, l := range m {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Source != out[j].Source {
			return out[i].Source < out[j].Source
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// ParseLabels parses "k8s:app=xwing" strings.
func ParseLabels(ss ...string) Labels {
	ls := make([]Label, len(ss))
	for i, s := range ss {
		ls[i] = ParseLabel(s)
	}
	return NewLabels(ls...)
}

// Strings renders each label.
func (ls Labels) Strings() []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.String()
	}
	return out
}

// String renders the set as Cilium does in logs: comma-separated.
func (ls Labels) String() string { return strings.Join(ls.Strings(), ",") }

// Get returns the value of key from the given source ("any" matches every
// source).
func (ls Labels) Get(source, key string) (string, bool) {
	for _, l := range ls {
		if l.Key == key && (source == SourceAny || l.Source == source) {
			return l.Value, true
		}
	}
	return "", false
}

// Has reports whether a label with the key exists.
func (ls Labels) Has(source, key string) bool {
	_, ok := ls.Get(source, key)
	return ok
}

// Reserved reports whether the set is a reserved identity's
// ("reserved:host", ...) and returns its name.
func (ls Labels) Reserved() (string, bool) {
	for _, l := range ls {
		if l.Source == SourceReserved {
			return l.Key, true
		}
	}
	return "", false
}

// K8sMap returns the k8s-source labels as a plain map (pod labels plus
// the io.* labels Cilium added).
func (ls Labels) K8sMap() map[string]string {
	m := map[string]string{}
	for _, l := range ls {
		if l.Source == SourceK8s {
			m[l.Key] = l.Value
		}
	}
	return m
}

// labelPrefix is one entry of Cilium's identity-relevant label filter.
type labelPrefix struct {
	ignore bool
	source string
	expr   *regexp.Regexp
}

// defaultLabelFilter is Cilium's default list of identity-relevant
// labels: a few include prefixes and a list of ignored ones. A label is
// kept when no ignore prefix matches it, or when the longest include match
// is longer than the shortest ignore match.
var defaultLabelFilter = func() []labelPrefix {
	exprs := []string{
		"reserved:.*",
		regexp.QuoteMeta(LabelPodNamespace),
		regexp.QuoteMeta(strings.TrimSuffix(LabelNamespaceLabelPrefix, ".")),
		regexp.QuoteMeta("app.kubernetes.io"),
		regexp.QuoteMeta(LabelCluster),
		`!io\.kubernetes`,
		`!kubernetes\.io`,
		"!" + regexp.QuoteMeta("statefulset.kubernetes.io/pod-name"),
		"!" + regexp.QuoteMeta("apps.kubernetes.io/pod-index"),
		"!" + regexp.QuoteMeta("batch.kubernetes.io/job-completion-index"),
		`!.*beta\.kubernetes\.io`,
		`!k8s\.io`,
		`!pod-template-generation`,
		`!pod-template-hash`,
		`!controller-revision-hash`,
		`!annotation.*`,
		`!etcd_node`,
	}
	out := make([]labelPrefix, 0, len(exprs))
	for _, e := range exprs {
		var p labelPrefix
		if i := strings.IndexByte(e, ':'); i >= 0 {
			p.source, e = e[:i], e[i+1:]
		}
		if strings.HasPrefix(e, "!") {
			p.ignore, e = true, e[1:]
		}
		p.expr = regexp.MustCompile(e)
		out = append(out, p)
	}
	return out
}()

// identityRelevant applies the default filter to one label.
func identityRelevant(l Label) bool {
	included, ignored := 0, 0
	for _, p := range defaultLabelFilter {
		if p.source != "" && p.source != l.Source {
			continue
		}
		loc := p.expr.FindStringIndex(l.Key)
		if loc == nil || loc[0] != 0 {
			continue
		}
		if p.ignore {
			if ignored == 0 || loc[1] < ignored {
				ignored = loc[1]
			}
		} else if loc[1] > included {
			included = loc[1]
		}
	}
	return ignored == 0 || included > ignored
}

// FilterLabels keeps the identity-relevant labels, as Cilium's default
// label filter does (pod-template-hash, controller-revision-hash,
// kubernetes.io/* and the like are dropped).
func FilterLabels(ls Labels) Labels {
	var out []Label
	for _, l := range ls {
		if identityRelevant(l) {
			out = append(out, l)
		}
	}
	return NewLabels(out...)
}

// PodLabels returns the security-relevant labels of a pod, as the agent
// derives them: the pod's labels, io.kubernetes.pod.namespace, the
// service account, the cluster name and the namespace's labels under
// io.cilium.k8s.namespace.labels., all with source "k8s", filtered.
// namespaceLabels may be nil (kubesim then still adds the
// kubernetes.io/metadata.name label every namespace carries).
func PodLabels(pod *api.Pod, namespaceLabels map[string]string, cluster string) Labels {
	if cluster == "" {
		cluster = DefaultClusterName
	}
	var ls []Label
	for k, v := range pod.Labels {
		ls = append(ls, Label{Source: SourceK8s, Key: k, Value: v})
	}
	ls = append(ls, Label{Source: SourceK8s, Key: LabelPodNamespace, Value: pod.Namespace})
	sa := pod.Spec.ServiceAccountName
	if sa == "" {
		sa = pod.Spec.DeprecatedServiceAccount
	}
	if sa != "" {
		ls = append(ls, Label{Source: SourceK8s, Key: LabelServiceAccount, Value: sa})
	}
	ls = append(ls, Label{Source: SourceK8s, Key: LabelCluster, Value: cluster})
	nsLabels := map[string]string{api.LabelMetadataName: pod.Namespace}
	for k, v := range namespaceLabels {
		nsLabels[k] = v
	}
	for k, v := range nsLabels {
		ls = append(ls, Label{Source: SourceK8s, Key: LabelNamespaceLabelPrefix + k, Value: v})
	}
	return FilterLabels(NewLabels(ls...))
}

// key is the canonical string of a label set, used to find its identity.
func (ls Labels) key() string {
	var sb strings.Builder
	for i, l := range ls {
		if i > 0 {
			sb.WriteByte(';')
		}
		fmt.Fprintf(&sb, "%s:%s=%s", l.Source, l.Key, l.Value)
	}
	return sb.String()
}
