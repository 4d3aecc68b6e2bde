package mvcc

import (
	"slices"
	"time"
)

// Lease is a granted lease.
type Lease struct {
	ID LeaseID
	// TTL is the granted time to live in seconds, after raising it to the
	// minimum.
	TTL int64
	// Expiry is the virtual time at which the lease expires unless kept
	// alive.
	Expiry time.Duration
}

// LeaseStatus answers TimeToLive, as etcd's LeaseTimeToLiveResponse.
type LeaseStatus struct {
	ID LeaseID
	// TTL is the remaining time in whole seconds (truncated), -1 once the
	// deadline has passed but Expire has not yet revoked the lease.
	TTL int64
	// GrantedTTL is the TTL the lease was granted with.
	GrantedTTL int64
	// Keys are the keys attached to the lease, sorted.
	Keys []string
}

type lease struct {
	id     LeaseID
	ttl    int64
	expiry time.Duration
	keys   map[string]struct{}
}

func lessLeaseExpiry(a, b *lease) bool {
	return a.expiry < b.expiry || (a.expiry == b.expiry && a.id < b.id)
}

func ttlDuration(ttl int64) time.Duration { return time.Duration(ttl) * time.Second }

// Grant creates a lease that expires ttlSeconds after now unless kept
// alive. id 0 allocates the lowest unused ID above the last allocated one
// (deterministic, unlike etcd's generated IDs). A TTL below the minimum
// (Config.MinLeaseTTL, 2 s by default) is raised to it, as etcd does; one
// above MaxLeaseTTL fails with ErrLeaseTTLTooLarge, an ID in use with
// ErrLeaseExists. Grant is checked against the quota, as etcd's
// LeaseGrant is.
func (s *Store) Grant(id LeaseID, ttlSeconds int64, now time.Duration) (Lease, error) {
	s.mustNotBeNotifying()
	if ttlSeconds > MaxLeaseTTL {
		return Lease{}, ErrLeaseTTLTooLarge
	}
	if id != NoLease {
		if _, ok := s.leases[id]; ok {
			return Lease{}, ErrLeaseExists
		}
	}
	if err := s.checkQuota(leaseOverheadBytes); err != nil {
		return Lease{}, err
	}
	if id == NoLease {
		for s.leases[s.nextLeaseID] != nil || s.nextLeaseID == NoLease {
			s.nextLeaseID++
		}
		id = s.nextLeaseID
		s.nextLeaseID++
	}
	ttl := max(ttlSeconds, s.cfg.MinLeaseTTL)
	l := &lease{id: id, ttl: ttl, expiry: now + ttlDuration(ttl), keys: make(map[string]struct{})}
	s.leases[id] = l
	s.leaseExpiry.ReplaceOrInsert(l)
	s.size += leaseOverheadBytes
	return Lease{ID: id, TTL: ttl, Expiry: l.expiry}, nil
}

// KeepAlive renews a lease to expire TTL seconds after now and returns the
// TTL. A lease whose deadline has passed can no longer be renewed, even if
// Expire has not run yet: it fails with ErrLeaseNotFound, as etcd's lessor
// refuses to renew an expired lease that awaits revocation.
func (s *Store) KeepAlive(id LeaseID, now time.Duration) (int64, error) {
	s.mustNotBeNotifying()
	l, ok := s.leases[id]
	if !ok || now >= l.expiry {
		return -1, ErrLeaseNotFound
	}
	s.leaseExpiry.Delete(l)
	l.expiry = now + ttlDuration(l.ttl)
	s.leaseExpiry.ReplaceOrInsert(l)
	return l.ttl, nil
}

// TimeToLive describes a lease at time now.
func (s *Store) TimeToLive(id LeaseID, now time.Duration) (LeaseStatus, error) {
	l, ok := s.leases[id]
	if !ok {
		return LeaseStatus{}, ErrLeaseNotFound
	}
	st := LeaseStatus{ID: id, GrantedTTL: l.ttl, TTL: -1, Keys: l.sortedKeys()}
	if remaining := l.expiry - now; remaining > 0 {
		st.TTL = int64(remaining / time.Second)
	}
	return st, nil
}

// Leases returns the IDs of every lease, sorted.
func (s *Store) Leases() []LeaseID {
	ids := make([]LeaseID, 0, len(s.leases))
	for id := range s.leases {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Revoke deletes a lease and, in one revision, every key attached to it (in
// key order, as etcd's lessor sorts them so all members agree). A lease
// without keys is removed without a new revision.
func (s *Store) Revoke(id LeaseID) (DeleteResult, error) {
	s.mustNotBeNotifying()
	l, ok := s.leases[id]
	if !ok {
		return DeleteResult{}, ErrLeaseNotFound
	}
	keys := l.sortedKeys()
	delete(s.leases, id)
	s.leaseExpiry.Delete(l)
	s.size -= leaseOverheadBytes
	s.beginWrite()
	var res DeleteResult
	for _, k := range keys {
		d := s.deleteRange(k, "")
		res.PrevKVs = append(res.PrevKVs, d.PrevKVs...)
	}
	res.Deleted = int64(len(res.PrevKVs))
	res.Rev = s.commitWrite()
	return res, nil
}

// Expire revokes every lease whose deadline is at or before now, in lease-ID
// order, each in its own revision (as each revocation is its own raft entry
// in etcd), and returns their IDs.
func (s *Store) Expire(now time.Duration) []LeaseID {
	s.mustNotBeNotifying()
	var expired []LeaseID
	s.leaseExpiry.Ascend(func(l *lease) bool {
		if l.expiry > now {
			return false
		}
		expired = append(expired, l.id)
		return true
	})
	slices.Sort(expired)
	for _, id := range expired {
		if _, err := s.Revoke(id); err != nil {
			panic("mvcc: revoking an expired lease: " + err.Error())
		}
	}
	return expired
}

func (l *lease) sortedKeys() []string {
	keys := make([]string, 0, len(l.keys))
	for k := range l.keys {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (s *Store) attachKey(id LeaseID, key string) {
	if l := s.leases[id]; l != nil {
		l.keys[key] = struct{}{}
	}
}

func (s *Store) detachKey(id LeaseID, key string) {
	if l := s.leases[id]; l != nil {
		delete(l.keys, key)
	}
}
