package etcd

import (
	"errors"
	"time"

	"github.com/kubesim/kubesim/components/etcd/mvcc"
	"github.com/kubesim/kubesim/sim"
)

// ErrRequestTimeout is etcd's `etcdserver: request timed out`: the member
// could not commit the request in time (no quorum).
var ErrRequestTimeout = errors.New("etcdserver: request timed out")

// ErrNoLeader is etcd's `etcdserver: no leader`.
var ErrNoLeader = errors.New("etcdserver: no leader")

// DefaultTimeout bounds one call to a member, as the etcd client's
// per-request deadline.
const DefaultTimeout = 7 * time.Second

// Client talks to etcd members on behalf of an actor or an external caller,
// as clientv3 does: it tries the endpoints in order, moving on when one does
// not answer.
type Client struct {
	c         sim.Caller
	endpoints []string
	current   int
	Timeout   time.Duration
}

// NewClient returns a client for the given member names.
func NewClient(c sim.Caller, endpoints ...string) *Client {
	return &Client{c: c, endpoints: endpoints, Timeout: DefaultTimeout}
}

// Endpoint is the member the client currently talks to.
func (cl *Client) Endpoint() string { return cl.endpoints[cl.current] }

func (cl *Client) call(kind string, body any) (*sim.Message, error) {
	var lastErr error
	for i := 0; i < len(cl.endpoints); i++ {
		ep := cl.endpoints[(cl.current+i)%len(cl.endpoints)]
		m, err := cl.c.Call(ep, kind, body, cl.Timeout)
		if errors.Is(err, sim.ErrTimeout) || errors.Is(err, sim.ErrRefused) {
			lastErr = err
			continue
		}
		cl.current = (cl.current + i) % len(cl.endpoints)
		return m, err
	}
	if errors.Is(lastErr, sim.ErrTimeout) {
		return nil, ErrRequestTimeout
	}
	return nil, lastErr
}

// Range reads keys (linearizable unless serializable is set).
func (cl *Client) Range(key, end string, opt mvcc.RangeOptions, serializable bool) (*RangeResponse, error) {
	m, err := cl.call(KindRange, RangeRequest{Key: key, End: end, Options: opt, Serializable: serializable})
	if err != nil {
		return nil, err
	}
	return m.Body.(*RangeResponse), nil
}

// Txn runs a transaction.
func (cl *Client) Txn(req mvcc.TxnRequest) (*TxnResponse, error) {
	m, err := cl.call(KindTxn, TxnRequest{req})
	if err != nil {
		return nil, err
	}
	return m.Body.(*TxnResponse), nil
}

// Watch opens a watch whose events arrive at the caller as WatchResponse
// messages. The member answering is returned so the caller can tell stale
// streams apart after a failover.
func (cl *Client) Watch(req mvcc.WatchRequest) (*WatchCreated, string, error) {
	m, err := cl.call(KindWatch, WatchRequest{req})
	if err != nil {
		return nil, "", err
	}
	return m.Body.(*WatchCreated), cl.Endpoint(), nil
}

// Compact compacts history below rev.
func (cl *Client) Compact(rev int64) error {
	_, err := cl.call(KindCompact, CompactRequest{Revision: rev})
	return err
}

// Grant grants a lease.
func (cl *Client) Grant(ttl int64) (*LeaseResponse, error) {
	m, err := cl.call(KindLeaseGrant, LeaseGrantRequest{TTL: ttl})
	if err != nil {
		return nil, err
	}
	return m.Body.(*LeaseResponse), nil
}

// KeepAlive renews a lease.
func (cl *Client) KeepAlive(id mvcc.LeaseID) (*LeaseResponse, error) {
	m, err := cl.call(KindLeaseKeepAlive, LeaseKeepAliveRequest{ID: id})
	if err != nil {
		return nil, err
	}
	return m.Body.(*LeaseResponse), nil
}

// Revoke revokes a lease.
func (cl *Client) Revoke(id mvcc.LeaseID) error {
	_, err := cl.call(KindLeaseRevoke, LeaseRevokeRequest{ID: id})
	return err
}

// Snapshot is `etcdctl snapshot save`.
func (cl *Client) Snapshot() (*SnapshotResponse, error) {
	m, err := cl.call(KindSnapshot, SnapshotRequest)
	if err != nil {
		return nil, err
	}
	return m.Body.(*SnapshotResponse), nil
}

// Status is `etcdctl endpoint status`.
func (cl *Client) Status() (*StatusResponse, error) {
	m, err := cl.call(KindStatus, StatusRequest)
	if err != nil {
		return nil, err
	}
	return m.Body.(*StatusResponse), nil
}
