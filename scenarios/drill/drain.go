package drill

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiwire"
	"github.com/kubesim/kubesim/components/client"
)

// Drain timings: kubectl retries a refused eviction after 5 s; the step
// gives up after drainTimeout of virtual time (kubectl's --timeout, which
// is unbounded by default).
const (
	drainRetry   = 5 * time.Second
	drainTimeout = 5 * time.Minute
)

// drain is `kubectl drain <node> --ignore-daemonsets
// --delete-emptydir-data`: cordon the node, evict every pod on it but
// DaemonSet and mirror pods through pods/eviction (retrying a 429 every
// 5 s, as kubectl does), then wait until the evicted pods are gone. It
// prints what kubectl prints.
func (r *runner) drain(node string) (string, error) {
	c := r.c
	var out strings.Builder
	if _, err := c.Admin.Patch("nodes", "", node, apiwire.StrategicMergePatch, []byte(`{"spec":{"unschedulable":true}}`), ""); err != nil {
		return "", err
	}
	fmt.Fprintf(&out, "node/%s cordoned\n", node)
	items, _, err := c.Admin.List("pods", "", client.ListOptions{FieldSelector: "spec.nodeName=" + node})
	if err != nil {
		return out.String(), err
	}
	var pods []*api.Pod
	var ignored []string
	for _, o := range items {
		p := o.(*api.Pod)
		if ref := p.ControllerRef(); ref != nil && ref.Kind == "DaemonSet" {
			ignored = append(ignored, p.Namespace+"/"+p.Name)
			continue
		}
		if _, mirror := p.Annotations["kubernetes.io/config.mirror"]; mirror {
			continue
		}
		pods = append(pods, p)
	}
	sort.Slice(pods, func(i, j int) bool { return pods[i].Key() < pods[j].Key() })
	if len(ignored) > 0 {
		sort.Strings(ignored)
		fmt.Fprintf(&out, "Warning: ignoring DaemonSet-managed Pods: %s\n", strings.Join(ignored, ", "))
	}
	deadline := c.K.Now() + drainTimeout
	for _, p := range pods {
		fmt.Fprintf(&out, "evicting pod %s/%s\n", p.Namespace, p.Name)
		for {
			_, err := c.Admin.Do(&apiwire.Request{Verb: apiwire.VerbCreate, Resource: "pods", Subresource: "eviction", Namespace: p.Namespace, Name: p.Name,
				Object: &api.Eviction{TypeMeta: api.TypeMeta{Kind: "Eviction", APIVersion: "policy/v1"}, ObjectMeta: api.ObjectMeta{Name: p.Name, Namespace: p.Namespace}}})
			if err == nil || apierrors.IsNotFound(err) {
				break
			}
			if apierrors.CodeOf(err) != 429 {
				return out.String(), fmt.Errorf("error evicting pod %s/%s: %v", p.Namespace, p.Name, err)
			}
			fmt.Fprintf(&out, "error when evicting pods/%q -n %q (will retry after 5s): %v\n", p.Name, p.Namespace, err)
			if c.K.Now() >= deadline {
				return out.String(), fmt.Errorf("drain did not complete within %v", drainTimeout)
			}
			c.WaitFor(func() bool { return false }, drainRetry)
		}
	}
	for _, p := range pods {
		gone := c.WaitFor(func() bool {
			o, err := c.Admin.Get("pods", p.Namespace, p.Name)
			return apierrors.IsNotFound(err) || err == nil && o.GetObjectMeta().UID != p.UID
		}, drainTimeout)
		if !gone {
			return out.String(), fmt.Errorf("pod %s/%s was not deleted within %v", p.Namespace, p.Name, drainTimeout)
		}
		fmt.Fprintf(&out, "pod/%s evicted\n", p.Name)
	}
	fmt.Fprintf(&out, "node/%s drained", node)
	return out.String(), nil
}
