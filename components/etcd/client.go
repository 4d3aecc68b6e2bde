package etcd

import (
	"errors"
	"time"

	"github.com/kubesim/kubesim/components/etcd/mvcc"
	"github.com/kubesim/kubesim/sim"
)

// Errors with etcd's texts (api/v3rpc/rpctypes).
var (
	// ErrRequestTimeout: a write or a linearizable read could not complete
	// within the member's request timeout (no quorum, no leader).
	ErrRequestTimeout = errors.New("etcdserver: request timed out")
	// ErrNoLeader: the member has no leader and the request needs one.
	ErrNoLeader = errors.New("etcdserver: no leader")
	// ErrRequestTooLarge refuses a write bigger than --max-request-bytes
	// (1.5 MiB by default) before it is proposed.
	ErrRequestTooLarge = errors.New("etcdserver: request is too large")
	// ErrLeaderChanged: the leader changed while a linearizable read waited
	// for its read index; the read can be retried.
	ErrLeaderChanged = errors.New("etcdserver: leader changed")
	// ErrNotLeader: a request only the leader serves reached a follower.
	ErrNotLeader = errors.New("etcdserver: not leader")
	// ErrTimeoutDueToLeaderFail: a write timed out, and it had started
	// within two election timeouts before a new leader was elected: it
	// was most likely forwarded to the leader that failed.
	// errors.Is(err, ErrRequestTimeout) holds for it.
	ErrTimeoutDueToLeaderFail error = &timeoutError{"etcdserver: request timed out, possibly due to previous leader failure"}
)

// timeoutError is a variant of ErrRequestTimeout with etcd's more precise
// text.
type timeoutError struct{ msg string }

func (e *timeoutError) Error() string { return e.msg }

// Is makes the variant match ErrRequestTimeout.
func (e *timeoutError) Is(target error) bool { return target == ErrRequestTimeout }

// DefaultTimeout bounds one call to one member at the transport: a little
// longer than the members' own request timeout, so that a member that is
// up answers (with its own error) before the client gives up on it.
const DefaultTimeout = DefaultRequestTimeout + time.Second

// watchProgressTimeout bounds a watch progress request: the member
// answers at once, so no answer means the member (or the path to it) is
// gone, as a gRPC keepalive ping that goes unanswered.
const watchProgressTimeout = 5 * time.Second

// Client talks to etcd members on behalf of an actor or an external caller,
// as clientv3 does. It sends each request to its current endpoint and moves
// on to the next one:
//
//   - at once, retrying the request, when the member cannot have seen it
//     (connection refused, `etcdserver: no leader`), and for reads when the
//     member does not answer or its leader changed mid-read;
//   - for the next request, returning the error, when a write timed out
//     (`etcdserver: request timed out`): the write may still commit, so it
//     is not retried, but a member that cannot reach its quorum is left
//     behind.
type Client struct {
	c       sim.Caller
	ep      *endpoints
	Timeout time.Duration
	// RequireLeader sends reads and writes with
	// clientv3.WithRequireLeader: a member without a leader refuses them
	// at once with `etcdserver: no leader`, and the client tries the next
	// member, instead of waiting for the request timeout. Watches always
	// require a leader.
	RequireLeader bool
}

// endpoints is the client's balancer state, shared by the clients derived
// with For so that every request of one process benefits from a failover.
type endpoints struct {
	list    []string
	current int
	// down holds, per member that could not be reached, until when the
	// client tries the others first (gRPC's reconnect backoff).
	down map[string]time.Duration
}

// endpointBackoff is how long an unreachable member is tried last.
const endpointBackoff = 10 * time.Second

// NewClient returns a client for the given member names.
func NewClient(c sim.Caller, members ...string) *Client {
	return &Client{c: c, ep: &endpoints{list: members, down: map[string]time.Duration{}}, Timeout: DefaultTimeout}
}

// order lists the endpoint indexes to try: from the current one on, the
// reachable ones first.
func (ep *endpoints) order(now time.Duration) []int {
	n := len(ep.list)
	out := make([]int, 0, n)
	for pass := 0; pass < 2; pass++ {
		for i := 0; i < n; i++ {
			idx := (ep.current + i) % n
			if (ep.down[ep.list[idx]] > now) == (pass == 1) {
				out = append(out, idx)
			}
		}
	}
	return out
}

// For returns a client that calls through another caller (a task of the
// same actor) and shares this client's endpoint choice.
func (cl *Client) For(c sim.Caller) *Client {
	return &Client{c: c, ep: cl.ep, Timeout: cl.Timeout, RequireLeader: cl.RequireLeader}
}

// Endpoint is the member the client currently talks to.
func (cl *Client) Endpoint() string { return cl.ep.list[cl.ep.current] }

// Endpoints lists the members the client knows, in its order.
func (cl *Client) Endpoints() []string { return append([]string(nil), cl.ep.list...) }

func (cl *Client) call(kind string, body any, read bool) (*sim.Message, error) {
	ep := cl.ep
	n := len(ep.list)
	var lastErr error
	for _, idx := range ep.order(cl.c.Now()) {
		m, err := cl.c.Call(ep.list[idx], kind, body, cl.Timeout)
		if errors.Is(err, sim.ErrRefused) || errors.Is(err, sim.ErrTimeout) {
			ep.down[ep.list[idx]] = cl.c.Now() + endpointBackoff
		} else {
			delete(ep.down, ep.list[idx])
		}
		switch {
		case err == nil:
			ep.current = idx
			return m, nil
		case errors.Is(err, sim.ErrRefused), errors.Is(err, ErrNoLeader):
			lastErr = err
			continue
		case errors.Is(err, sim.ErrTimeout):
			lastErr = ErrRequestTimeout
			if read {
				continue
			}
			ep.current = (idx + 1) % n
			return nil, ErrRequestTimeout
		case read && errors.Is(err, ErrLeaderChanged):
			lastErr = err
			continue
		case errors.Is(err, ErrRequestTimeout):
			ep.current = (idx + 1) % n
			return nil, err
		}
		ep.current = idx
		return m, err
	}
	return nil, lastErr
}

// Range reads keys (linearizable unless serializable is set).
func (cl *Client) Range(key, end string, opt mvcc.RangeOptions, serializable bool) (*RangeResponse, error) {
	m, err := cl.call(KindRange, RangeRequest{Key: key, End: end, Options: opt, Serializable: serializable, RequireLeader: cl.RequireLeader}, true)
	if err != nil {
		return nil, err
	}
	return m.Body.(*RangeResponse), nil
}

// Txn runs a transaction.
func (cl *Client) Txn(req mvcc.TxnRequest) (*TxnResponse, error) {
	m, err := cl.call(KindTxn, TxnRequest{TxnRequest: req, RequireLeader: cl.RequireLeader}, false)
	if err != nil {
		return nil, err
	}
	return m.Body.(*TxnResponse), nil
}

// Watch opens a watch whose events arrive at the caller as WatchResponse
// messages, and returns the member serving it: a watch lives on one member,
// and ends with it. Like kube-apiserver's, the watch requires a leader
// (clientv3.WithRequireLeader): a member without one refuses it, and
// cancels it after three election timeouts without one.
func (cl *Client) Watch(req mvcc.WatchRequest) (*WatchCreated, string, error) {
	m, err := cl.call(KindWatch, WatchRequest{WatchRequest: req, RequireLeader: true}, true)
	if err != nil {
		return nil, "", err
	}
	return m.Body.(*WatchCreated), cl.Endpoint(), nil
}

// WatchProgress asks the member serving a watch for a progress
// notification. An error means the watch is gone (the member restarted,
// stopped or cannot be reached): the watcher should watch again elsewhere.
func (cl *Client) WatchProgress(member string, id mvcc.WatchID) error {
	_, err := cl.c.Call(member, KindWatchProgress, WatchProgressRequest{WatchID: id}, watchProgressTimeout)
	return err
}

// Compact compacts history below rev.
func (cl *Client) Compact(rev int64) error {
	_, err := cl.call(KindCompact, CompactRequest{Revision: rev}, false)
	return err
}

// Grant grants a lease.
func (cl *Client) Grant(ttl int64) (*LeaseResponse, error) {
	m, err := cl.call(KindLeaseGrant, LeaseGrantRequest{TTL: ttl}, false)
	if err != nil {
		return nil, err
	}
	return m.Body.(*LeaseResponse), nil
}

// KeepAlive renews a lease.
func (cl *Client) KeepAlive(id mvcc.LeaseID) (*LeaseResponse, error) {
	m, err := cl.call(KindLeaseKeepAlive, LeaseKeepAliveRequest{ID: id}, true)
	if err != nil {
		return nil, err
	}
	return m.Body.(*LeaseResponse), nil
}

// Revoke revokes a lease.
func (cl *Client) Revoke(id mvcc.LeaseID) error {
	_, err := cl.call(KindLeaseRevoke, LeaseRevokeRequest{ID: id}, false)
	return err
}

// Snapshot is `etcdctl snapshot save`: the current endpoint's store.
func (cl *Client) Snapshot() (*SnapshotResponse, error) {
	m, err := cl.call(KindSnapshot, SnapshotRequest, true)
	if err != nil {
		return nil, err
	}
	return m.Body.(*SnapshotResponse), nil
}

// Status is `etcdctl endpoint status` of the current endpoint.
func (cl *Client) Status() (*StatusResponse, error) {
	m, err := cl.call(KindStatus, StatusRequest, true)
	if err != nil {
		return nil, err
	}
	return m.Body.(*StatusResponse), nil
}

// MemberStatus is `etcdctl endpoint status` of one named member, without
// failing over.
func (cl *Client) MemberStatus(member string) (*StatusResponse, error) {
	m, err := cl.c.Call(member, KindStatus, StatusRequest, cl.Timeout)
	if err != nil {
		return nil, err
	}
	return m.Body.(*StatusResponse), nil
}
