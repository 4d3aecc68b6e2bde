package cilium

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"

	"github.com/kubesim/kubesim/components/api"
)

// NumericIdentity is a security identity: 1..255 reserved, 256 and above
// allocated per label set.
type NumericIdentity uint32

// Reserved identities.
const (
	IdentityUnknown       NumericIdentity = api.IdentityUnknown
	IdentityHost          NumericIdentity = api.IdentityHost
	IdentityWorld         NumericIdentity = api.IdentityWorld
	IdentityUnmanaged     NumericIdentity = api.IdentityUnmanaged
	IdentityHealth        NumericIdentity = api.IdentityHealth
	IdentityInit          NumericIdentity = api.IdentityInit
	IdentityRemoteNode    NumericIdentity = api.IdentityRemoteNode
	IdentityKubeAPIServer NumericIdentity = api.IdentityKubeAPIServer
	IdentityIngress       NumericIdentity = 8
	// MinAllocatedIdentity is the first identity given to a label set.
	MinAllocatedIdentity NumericIdentity = api.IdentityMinAllocated
	// MaxAllocatedIdentity is the last cluster-scoped identity.
	MaxAllocatedIdentity NumericIdentity = 65535
)

var reservedNames = map[NumericIdentity]string{
	IdentityHost:          "host",
	IdentityWorld:         "world",
	IdentityUnmanaged:     "unmanaged",
	IdentityHealth:        "health",
	IdentityInit:          "init",
	IdentityRemoteNode:    "remote-node",
	IdentityKubeAPIServer: "kube-apiserver",
	IdentityIngress:       "ingress",
}

// IsReserved reports whether id is a reserved identity.
func (id NumericIdentity) IsReserved() bool {
	return id > 0 && id < MinAllocatedIdentity
}

// String is the reserved name ("world") or the number, as Cilium prints
// identities.
func (id NumericIdentity) String() string {
	if n, ok := reservedNames[id]; ok {
		return n
	}
	return strconv.FormatUint(uint64(id), 10)
}

// ReservedIdentity returns the reserved identity with the given name
// ("host", "world", ...).
func ReservedIdentity(name string) (NumericIdentity, bool) {
	for id, n := range reservedNames {
		if n == name {
			return id, true
		}
	}
	return IdentityUnknown, false
}

// Identity is a numeric identity and its label set.
type Identity struct {
	ID     NumericIdentity
	Labels Labels
	// RefCount is the number of endpoints using the identity; reserved
	// identities are never released.
	RefCount int
}

// ErrIdentitiesExhausted is returned when 256..65535 are all in use.
var ErrIdentitiesExhausted = errors.New("unable to allocate ID: no more available IDs")

// IdentityAllocator hands out one identity per distinct label set and
// reference-counts them, as the agent's CRD-backed allocator does. The
// reserved identities are always present. It is safe for concurrent use.
//
// kubesim hands out the lowest free number from 256; real Cilium picks a
// random free number, which is why real identities look like 21838.
type IdentityAllocator struct {
	mu    sync.Mutex
	byKey map[string]*Identity
	byID  map[NumericIdentity]*Identity
	next  NumericIdentity
}

// NewIdentityAllocator returns an allocator holding the reserved
// identities.
func NewIdentityAllocator() *IdentityAllocator {
	a := &IdentityAllocator{byKey: map[string]*Identity{}, byID: map[NumericIdentity]*Identity{}, next: MinAllocatedIdentity}
	for id, name := range reservedNames {
		ident := &Identity{ID: id, Labels: NewLabels(Label{Source: SourceReserved, Key: name})}
		a.byID[id] = ident
		a.byKey[ident.Labels.key()] = ident
	}
	return a
}

// Allocate returns the identity of a label set, creating it if needed,
// and takes a reference. isNew reports a fresh allocation.
func (a *IdentityAllocator) Allocate(ls Labels) (ident Identity, isNew bool, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	key := ls.key()
	if id, ok := a.byKey[key]; ok {
		if !id.ID.IsReserved() {
			id.RefCount++
		}
		return *id, false, nil
	}
	num, ok := a.lowestFree()
	if !ok {
		return Identity{}, false, ErrIdentitiesExhausted
	}
	id := &Identity{ID: num, Labels: append(Labels(nil), ls...), RefCount: 1}
	a.byKey[key] = id
	a.byID[num] = id
	return *id, true, nil
}

func (a *IdentityAllocator) lowestFree() (NumericIdentity, bool) {
	for n := a.next; n <= MaxAllocatedIdentity; n++ {
		if _, used := a.byID[n]; !used {
			a.next = n + 1
			return n, true
		}
	}
	for n := MinAllocatedIdentity; n < a.next && n <= MaxAllocatedIdentity; n++ {
		if _, used := a.byID[n]; !used {
			a.next = n + 1
			return n, true
		}
	}
	return 0, false
}

// Release drops one reference; the identity is freed when none is left
// (the operator's garbage collection, done at once here). It reports
// whether the identity was freed.
func (a *IdentityAllocator) Release(id NumericIdentity) (bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	ident, ok := a.byID[id]
	if !ok {
		return false, fmt.Errorf("identity %d not found", id)
	}
	if id.IsReserved() {
		return false, nil
	}
	ident.RefCount--
	if ident.RefCount > 0 {
		return false, nil
	}
	delete(a.byID, id)
	delete(a.byKey, ident.Labels.key())
	if id < a.next {
		a.next = id
	}
	return true, nil
}

// Lookup returns an identity by number.
func (a *IdentityAllocator) Lookup(id NumericIdentity) (Identity, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	ident, ok := a.byID[id]
	if !ok {
		return Identity{}, false
	}
	return *ident, true
}

// LookupByLabels returns the identity of a label set, if allocated.
func (a *IdentityAllocator) LookupByLabels(ls Labels) (Identity, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	ident, ok := a.byKey[ls.key()]
	if !ok {
		return Identity{}, false
	}
	return *ident, true
}

// List returns all identities sorted by number.
func (a *IdentityAllocator) List() []Identity {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]Identity, 0, len(a.byID))
	for _, id := range a.byID {
		out = append(out, *id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
