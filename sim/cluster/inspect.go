package cluster

import (
	"sort"
	"strings"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiserver"
	"github.com/kubesim/kubesim/components/etcd/mvcc"
	"github.com/kubesim/kubesim/sim/cursor"
)

// Inspection: a debugger's reads of the cluster's state, out of band. They
// go straight to the data the components hold — etcd members' data
// directories, what actors published (sim.Kernel.Inspect) — between kernel
// steps, and spend nothing: no message, timer, random draw or trace record.
// A view of the cluster at a cursor is therefore the truth at that record,
// and looking never changes what happens next. (Requests through
// kube-apiserver, as kubectl makes them, are the cluster's clients: they go
// through Admin and show in the trace.)

// Store is the etcd data views read: the store of the member with the
// newest revision (the leader's, once it has applied its writes), and that
// member's name. Nil before any member has a data directory.
func (c *Cluster) Store() (string, *mvcc.Store) {
	best, name := (*mvcc.Store)(nil), ""
	for i, n := range c.cfg.ControlPlanes {
		d := c.disks[n]
		if d == nil || d.Store == nil {
			continue
		}
		if best == nil || d.Store.Rev() > best.Rev() {
			best, name = d.Store, c.EtcdMembers[i]
		}
	}
	return name, best
}

type decodedObject struct {
	rev int64
	obj api.Object
}

// decodeKV decodes one stored value, once per version: views and graders
// read the same objects over and over.
func (c *Cluster) decodeKV(kv mvcc.KeyValue) (api.Object, error) {
	if d, ok := c.decoded[kv.Key]; ok && d.rev == kv.ModRevision {
		return d.obj, nil
	}
	obj, _, err := apiserver.DecodeStored(kv.Key, kv.Value, kv.ModRevision)
	if err != nil {
		info, ok := c.customResourceOfKey(kv.Key)
		if !ok {
			return nil, err
		}
		if obj, err = apiserver.DecodeStoredAs(info, kv.Value, kv.ModRevision); err != nil {
			return nil, err
		}
	}
	if c.decoded == nil {
		c.decoded = map[string]decodedObject{}
	}
	c.decoded[kv.Key] = decodedObject{rev: kv.ModRevision, obj: obj}
	return obj, nil
}

// StoredObjects lists the objects of a resource in a namespace ("" for all
// namespaces, or a cluster-scoped resource) as etcd holds them, in key
// order, optionally filtered by a label selector. The objects are shared:
// only read them.
func (c *Cluster) StoredObjects(resource, namespace, labelSelector string) ([]api.Object, error) {
	info, ok := c.resourceInfo(resource)
	if !ok {
		return nil, apierrors.NewNotFound("", resource, "")
	}
	sel := api.Everything()
	if labelSelector != "" {
		s, err := api.ParseSelector(labelSelector)
		if err != nil {
			return nil, apierrors.NewBadRequest(err.Error())
		}
		sel = s
	}
	_, st := c.Store()
	if st == nil {
		return nil, nil
	}
	prefix := info.KeyPrefix + "/"
	if info.Namespaced && namespace != "" {
		prefix += namespace + "/"
	}
	res, err := st.Range(prefix, mvcc.PrefixEnd(prefix), mvcc.RangeOptions{})
	if err != nil {
		return nil, err
	}
	out := make([]api.Object, 0, len(res.KVs))
	for _, kv := range res.KVs {
		if rest := strings.TrimPrefix(kv.Key, info.KeyPrefix+"/"); strings.Count(rest, "/") != boolInt(info.Namespaced) {
			continue // a longer prefix's key (services/specs vs services/endpoints)
		}
		obj, err := c.decodeKV(kv)
		if err != nil {
			return nil, err
		}
		if !sel.Matches(obj.GetObjectMeta().Labels) {
			continue
		}
		out = append(out, obj)
	}
	return out, nil
}

// resourceInfo resolves a resource by plural name, or by plural.group for
// the custom resources of a stored CRD (the CRD's own name).
func (c *Cluster) resourceInfo(resource string) (*api.ResourceInfo, bool) {
	if info, ok := api.ResourceFor(resource); ok {
		return info, true
	}
	if !strings.Contains(resource, ".") {
		return nil, false
	}
	o, err := c.StoredObject("customresourcedefinitions", "", resource)
	if err != nil {
		// No CRD (any more): objects left under its prefix can still be
		// found, read as namespaced custom resources.
		plural, group, _ := strings.Cut(resource, ".")
		crd := &api.CustomResourceDefinition{Spec: api.CustomResourceDefinitionSpec{Group: group, Scope: api.NamespaceScoped, Names: api.CustomResourceDefinitionNames{Plural: plural}}}
		return api.CustomResourceInfo(crd, ""), true
	}
	crd := o.(*api.CustomResourceDefinition)
	for _, v := range crd.Spec.Versions {
		if v.Storage {
			return api.CustomResourceInfo(crd, v.Name), true
		}
	}
	return nil, false
}

// customResourceOfKey finds the stored CRD whose objects live under key
// (/registry/<group>/<plural>/...).
func (c *Cluster) customResourceOfKey(key string) (*api.ResourceInfo, bool) {
	parts := strings.SplitN(strings.TrimPrefix(key, "/registry/"), "/", 3)
	if len(parts) < 3 {
		return nil, false
	}
	return c.resourceInfo(parts[1] + "." + parts[0])
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// StoredObject reads one object as etcd holds it; a missing one is the
// apiserver's NotFound.
func (c *Cluster) StoredObject(resource, namespace, name string) (api.Object, error) {
	info, ok := c.resourceInfo(resource)
	if !ok {
		return nil, apierrors.NewNotFound("", resource, name)
	}
	_, st := c.Store()
	if st == nil {
		return nil, apierrors.NewNotFound(info.Group, info.Resource, name)
	}
	key := info.Key(namespace, name)
	res, err := st.Range(key, "", mvcc.RangeOptions{})
	if err != nil {
		return nil, err
	}
	if len(res.KVs) == 0 {
		return nil, apierrors.NewNotFound(info.Group, info.Resource, name)
	}
	return c.decodeKV(res.KVs[0])
}

// EventsFor lists the events whose involvedObject is obj, oldest first.
func (c *Cluster) EventsFor(obj api.Object) ([]*api.Event, error) {
	m := obj.GetObjectMeta()
	items, err := c.StoredObjects("events", m.Namespace, "")
	if err != nil {
		return nil, err
	}
	var out []*api.Event
	for _, o := range items {
		ev := o.(*api.Event)
		if ev.InvolvedObject.Name == m.Name && ev.InvolvedObject.Namespace == m.Namespace && (ev.InvolvedObject.UID == "" || ev.InvolvedObject.UID == m.UID) {
			out = append(out, ev)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].LastTimestamp.Before(out[j].LastTimestamp.Time) })
	return out, nil
}

// Inspect returns what the named actor published for views, nil if it is
// not running (see sim.Kernel.Inspect).
func (c *Cluster) Inspect(actor string) any { return c.K.Inspect(actor) }

// UnderCursor prepares cfg for a cluster a cursor steps through (package
// sim/cursor): the cursor's kernel options; the cluster attached for views
// as soon as it exists, so the boot can be looked at too; etcd's revision
// probed at every pause (for `changes`); and the cluster stopped when the
// cursor lets go of the run.
func UnderCursor(h *cursor.Host, cfg *Config) {
	cfg.Options = append(cfg.Options, h.Options()...)
	created := cfg.Created
	cfg.Created = func(c *Cluster) {
		h.Attach(c)
		h.Cleanup(c.Stop)
		h.Probe(func() int64 {
			if _, st := c.Store(); st != nil {
				return st.Rev()
			}
			return 0
		})
		if created != nil {
			created(c)
		}
	}
}
