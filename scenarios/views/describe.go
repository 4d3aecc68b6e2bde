package views

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/printers"
	"github.com/kubesim/kubesim/sim/cluster"
)

// describe answers `describe <type>[,<type>...] [name...] [-n ns | -A]
// [-l selector]` as kubectl does: named objects, or every object of the
// types in the namespace (all namespaces with -A), separated by a blank
// line.
func describe(c *cluster.Cluster, f flags, out io.Writer) error {
	if len(f.pos) == 0 {
		return errors.New("You must specify the type of resource to describe.")
	}
	if f.output != "" {
		return errors.New("error: unknown shorthand flag: 'o' in -o (describe has no output formats; use get -o " + f.output + ")")
	}
	types := strings.Split(f.pos[0], ",")
	if len(types) > 1 && len(f.pos) > 1 {
		return errors.New("error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form")
	}
	var infos []*api.ResourceInfo
	for _, name := range types {
		info, ok := api.ResourceForName(name)
		if !ok {
			return fmt.Errorf("error: the server doesn't have a resource type %q", name)
		}
		if !printers.CanDescribe(info.Resource) {
			return fmt.Errorf("describe: kubesim cannot describe %s yet; use: get %s -o yaml", info.Resource, name)
		}
		infos = append(infos, info)
	}
	type described struct {
		resource string
		obj      api.Object
	}
	var objs []described
	for _, info := range infos {
		ns := f.namespace
		if f.all || !info.Namespaced {
			ns = ""
		}
		if len(f.pos) > 1 {
			for _, name := range f.pos[1:] {
				o, err := c.StoredObject(info.Resource, ns, name)
				if err != nil {
					return errors.New(apierrors.KubectlText(err))
				}
				objs = append(objs, described{info.Resource, o})
			}
			continue
		}
		items, err := c.StoredObjects(info.Resource, ns, f.selector)
		if err != nil {
			return errors.New(apierrors.KubectlText(err))
		}
		for _, o := range items {
			objs = append(objs, described{info.Resource, o})
		}
	}
	if len(objs) == 0 {
		if f.all {
			fmt.Fprintln(out, "No resources found")
		} else {
			fmt.Fprintf(out, "No resources found in %s namespace.\n", f.namespace)
		}
		return nil
	}
	for i, d := range objs {
		if i > 0 {
			fmt.Fprintln(out)
		}
		if err := Describe(c, d.resource, d.obj, c.K.WallTime(), out); err != nil {
			return err
		}
	}
	return nil
}

// Describe writes kubectl's describe of obj (an object of resource) as
// the cluster holds it: the events about it and the related objects the
// describer asks for are read from etcd, ages taken at now.
func Describe(c *cluster.Cluster, resource string, obj api.Object, now time.Time, out io.Writer) error {
	events, list, err := DescribeInputs(c, obj)
	if err != nil {
		return err
	}
	return printers.Describe(out, resource, obj, events, now, list)
}

// DescribeInputs is what a describe of obj reads besides obj: the events
// about it and a lister of the cluster's stored objects.
func DescribeInputs(c *cluster.Cluster, obj api.Object) ([]api.Event, printers.Lister, error) {
	events, err := eventsAbout(c, obj)
	if err != nil {
		return nil, nil, err
	}
	list := func(resource, namespace string) []api.Object {
		items, _ := c.StoredObjects(resource, namespace, "")
		return items
	}
	return events, list, nil
}

// eventsAbout is what kubectl describe's event search finds: events whose
// involvedObject names obj, with obj's UID or, for a node (the kubelet
// reports under the node's name), the name as UID; for a mirror pod, the
// UID of the static pod it mirrors.
func eventsAbout(c *cluster.Cluster, obj api.Object) ([]api.Event, error) {
	m := obj.GetObjectMeta()
	items, err := c.StoredObjects("events", m.Namespace, "")
	if err != nil {
		return nil, err
	}
	_, isNode := obj.(*api.Node)
	uid := m.UID
	// A static pod's events carry the UID of the kubelet's own pod, which
	// its mirror pod keeps in an annotation.
	if mirror, ok := m.Annotations["kubernetes.io/config.mirror"]; ok {
		if _, isPod := obj.(*api.Pod); isPod {
			uid = api.UID(mirror)
		}
	}
	var out []api.Event
	for _, o := range items {
		ev := o.(*api.Event)
		ref := ev.InvolvedObject
		if ref.Name != m.Name || ref.Namespace != m.Namespace {
			continue
		}
		if ref.UID == uid || (isNode && string(ref.UID) == m.Name) {
			out = append(out, *ev)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].LastTimestamp.Before(out[j].LastTimestamp.Time) })
	return out, nil
}
