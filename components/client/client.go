// Package client is the simulator's client-go: what components, tests and
// the kubesim command use to talk to kube-apiserver through the kernel.
//
// A Client sends apiwire.Request messages with its bearer token and user
// agent, trying the apiserver endpoints in order (several control-plane
// nodes sit behind one address for clients, as a load balancer would put
// them) and moving on when one does not answer.
package client

import (
	"errors"
	"sort"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiwire"
	"github.com/kubesim/kubesim/sim"
)

// DefaultTimeout is how long a request may take before the client gives up
// (kubectl's default is none; client-go's is 32 s for discovery, 60 s for the
// server side). Requests that reach a server end well before it.
const DefaultTimeout = 60 * time.Second

// FailoverTimeout is how long a request waits for one of several
// apiservers before trying the next: longer than etcd's own request timeout
// (7 s, so a 504 from a live apiserver still arrives), shorter than a
// kubelet's lease duration (40 s, so a dead control-plane node does not
// make every node look dead).
const FailoverTimeout = 10 * time.Second

// Client talks to kube-apiserver.
type Client struct {
	c       sim.Caller
	servers []string
	current int
	// Token authenticates the client.
	Token string
	// UserAgent names the client in the trace.
	UserAgent string
	// Timeout bounds one request in virtual time.
	Timeout time.Duration
}

// New returns a client acting for c.
func New(c sim.Caller, token string, servers ...string) *Client {
	return &Client{c: c, servers: servers, Token: token, UserAgent: c.Name(), Timeout: DefaultTimeout}
}

// Server is the apiserver the client last talked to.
func (cl *Client) Server() string { return cl.servers[cl.current] }

// Caller is who the client acts for.
func (cl *Client) Caller() sim.Caller { return cl.c }

// Do sends a request and waits for its answer.
func (cl *Client) Do(r *apiwire.Request) (*apiwire.Response, error) {
	if r.Token == "" {
		r.Token = cl.Token
	}
	if r.UserAgent == "" {
		r.UserAgent = cl.UserAgent
	}
	// With several apiservers behind one endpoint, a server that does not
	// answer within FailoverTimeout is given up on and the next one tried,
	// as a load balancer's health checks take a dead backend out.
	timeout := cl.Timeout
	if len(cl.servers) > 1 && timeout > FailoverTimeout {
		timeout = FailoverTimeout
	}
	var lastErr error
	for i := 0; i < len(cl.servers); i++ {
		srv := cl.servers[(cl.current+i)%len(cl.servers)]
		m, err := cl.c.Call(srv, apiwire.KindRequest, r, timeout)
		if errors.Is(err, sim.ErrTimeout) || errors.Is(err, sim.ErrRefused) {
			lastErr = err
			continue
		}
		cl.current = (cl.current + i) % len(cl.servers)
		if err != nil {
			return nil, err
		}
		return m.Body.(*apiwire.Response), nil
	}
	if errors.Is(lastErr, sim.ErrRefused) {
		return nil, &ConnectionError{Server: cl.servers[cl.current], Err: lastErr}
	}
	return nil, &ConnectionError{Server: cl.servers[cl.current], Err: lastErr}
}

// ConnectionError is a request that reached no apiserver, printed as
// kubectl prints it.
type ConnectionError struct {
	Server string
	Err    error
}

func (e *ConnectionError) Error() string {
	if errors.Is(e.Err, sim.ErrRefused) {
		return "The connection to the server " + e.Server + ":6443 was refused - did you specify the right host or port?"
	}
	return "Unable to connect to the server: net/http: request canceled (Client.Timeout exceeded while awaiting headers)"
}

func (e *ConnectionError) Unwrap() error { return e.Err }

func resourceOf(obj api.Object) (*api.ResourceInfo, error) {
	info, ok := api.ResourceOf(obj)
	if !ok {
		tm := obj.GetTypeMeta()
		return nil, apierrors.NewBadRequest("no resource for kind " + tm.Kind)
	}
	return info, nil
}

// Create creates an object.
func (cl *Client) Create(obj api.Object) (api.Object, error) {
	info, err := resourceOf(obj)
	if err != nil {
		return nil, err
	}
	res, err := cl.Do(&apiwire.Request{Verb: apiwire.VerbCreate, Resource: info.Resource, Namespace: obj.GetObjectMeta().Namespace, Object: obj})
	if err != nil {
		return nil, err
	}
	return res.Object, nil
}

// Get reads one object (a quorum read).
func (cl *Client) Get(resource, namespace, name string) (api.Object, error) {
	res, err := cl.Do(&apiwire.Request{Verb: apiwire.VerbGet, Resource: resource, Namespace: namespace, Name: name})
	if err != nil {
		return nil, err
	}
	return res.Object, nil
}

// ListOptions select what a list or watch returns.
type ListOptions struct {
	LabelSelector       string
	FieldSelector       string
	ResourceVersion     string
	AllowWatchBookmarks bool
}

// List lists objects; it returns them and the list's resourceVersion.
func (cl *Client) List(resource, namespace string, opts ListOptions) ([]api.Object, string, error) {
	res, err := cl.Do(&apiwire.Request{Verb: apiwire.VerbList, Resource: resource, Namespace: namespace,
		LabelSelector: opts.LabelSelector, FieldSelector: opts.FieldSelector, ResourceVersion: opts.ResourceVersion})
	if err != nil {
		return nil, "", err
	}
	return res.Items, res.ResourceVersion, nil
}

// Watch opens a watch; events arrive at the caller as apiwire.WatchEvent
// messages carrying the returned id.
func (cl *Client) Watch(resource, namespace string, opts ListOptions) (int64, error) {
	res, err := cl.Do(&apiwire.Request{Verb: apiwire.VerbWatch, Resource: resource, Namespace: namespace,
		LabelSelector: opts.LabelSelector, FieldSelector: opts.FieldSelector, ResourceVersion: opts.ResourceVersion, AllowWatchBookmarks: opts.AllowWatchBookmarks})
	if err != nil {
		return 0, err
	}
	// A watch is a long-lived connection: when its server goes away the
	// caller is told (sim.KindDown), as a reset connection tells client-go.
	if m, ok := cl.c.(interface{ Monitor(string) }); ok {
		m.Monitor(cl.Server())
	}
	return res.WatchID, nil
}

// StopWatch closes a watch.
func (cl *Client) StopWatch(id int64) {
	cl.c.Send(cl.servers[cl.current], apiwire.KindRequest, apiwire.CancelWatch{WatchID: id})
}

// Update replaces an object (guarded by its resourceVersion, if set).
func (cl *Client) Update(obj api.Object) (api.Object, error) {
	return cl.update(obj, "")
}

// UpdateStatus replaces an object's status.
func (cl *Client) UpdateStatus(obj api.Object) (api.Object, error) {
	return cl.update(obj, "status")
}

func (cl *Client) update(obj api.Object, sub string) (api.Object, error) {
	info, err := resourceOf(obj)
	if err != nil {
		return nil, err
	}
	m := obj.GetObjectMeta()
	res, err := cl.Do(&apiwire.Request{Verb: apiwire.VerbUpdate, Resource: info.Resource, Subresource: sub, Namespace: m.Namespace, Name: m.Name, Object: obj})
	if err != nil {
		return nil, err
	}
	return res.Object, nil
}

// Patch patches an object.
func (cl *Client) Patch(resource, namespace, name string, pt apiwire.PatchType, data []byte, subresource string) (api.Object, error) {
	res, err := cl.Do(&apiwire.Request{Verb: apiwire.VerbPatch, Resource: resource, Subresource: subresource, Namespace: namespace, Name: name, Patch: data, PatchType: pt})
	if err != nil {
		return nil, err
	}
	return res.Object, nil
}

// DeleteOptions tune a delete.
type DeleteOptions struct {
	PropagationPolicy  string
	GracePeriodSeconds *int64
}

// Delete deletes an object; it returns the object as the server left it
// (with a deletionTimestamp when deletion is graceful or finalizers hold it).
func (cl *Client) Delete(resource, namespace, name string, opts DeleteOptions) (api.Object, error) {
	res, err := cl.Do(&apiwire.Request{Verb: apiwire.VerbDelete, Resource: resource, Namespace: namespace, Name: name,
		PropagationPolicy: opts.PropagationPolicy, GracePeriodSeconds: opts.GracePeriodSeconds})
	if err != nil {
		return nil, err
	}
	return res.Object, nil
}

// Bind assigns a pod to a node through pods/binding.
func (cl *Client) Bind(namespace, pod, node string) error {
	b := &api.Binding{TypeMeta: api.TypeMeta{Kind: "Binding", APIVersion: "v1"}, ObjectMeta: api.ObjectMeta{Name: pod, Namespace: namespace},
		Target: api.ObjectReference{Kind: "Node", APIVersion: "v1", Name: node}}
	_, err := cl.Do(&apiwire.Request{Verb: apiwire.VerbCreate, Resource: "pods", Subresource: "binding", Namespace: namespace, Name: pod, Object: b})
	return err
}

// Get is a typed Get.
func Get[T api.Object](cl *Client, namespace, name string) (T, error) {
	var zero T
	info, err := resourceOf(api.SetTypeMeta(newOf[T]()))
	if err != nil {
		return zero, err
	}
	obj, err := cl.Get(info.Resource, namespace, name)
	if err != nil {
		return zero, err
	}
	return obj.(T), nil
}

func newOf[T api.Object]() T {
	var zero T
	for _, r := range api.Resources() {
		if o, ok := r.New().(T); ok {
			return o
		}
	}
	return zero
}

func sortedKeys(m map[string]api.Object) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
