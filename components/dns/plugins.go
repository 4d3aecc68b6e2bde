package dns

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"time"
)

// ---------------------------------------------------------------- errors

// Errors is the errors plugin: it logs the errors the rest of the chain
// returns, in CoreDNS's format "[ERROR] plugin/errors: 2 example.org. A: <err>".
type Errors struct {
	Next Handler
	mu   sync.Mutex
	log  []string
}

// NewErrors returns the errors plugin.
func NewErrors() *Errors { return &Errors{} }

// Plugin returns the chain constructor.
func (e *Errors) Plugin() Plugin {
	return func(next Handler) Handler { e.Next = next; return e }
}

// Name implements Handler.
func (e *Errors) Name() string { return "errors" }

func (e *Errors) nextHandler() Handler { return e.Next }

// ServeDNS implements Handler.
func (e *Errors) ServeDNS(ctx context.Context, w ResponseWriter, r *Msg) (Rcode, error) {
	rc, err := NextOrFailure(e.Name(), e.Next, ctx, w, r)
	if err != nil {
		q := r.Q()
		e.mu.Lock()
		e.log = append(e.log, fmt.Sprintf("[ERROR] plugin/errors: %d %s %s: %v", int(rc), q.Name, q.Type, err))
		e.mu.Unlock()
	}
	return rc, err
}

// Log returns the logged lines.
func (e *Errors) Log() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.log...)
}

// ---------------------------------------------------------------- cache

// Cache defaults of CoreDNS's cache plugin.
const (
	DefaultCacheCapacity = 9984
	defaultMaxTTL        = 3600 * time.Second
	defaultMaxNTTL       = 1800 * time.Second
	defaultMinTTL        = 5 * time.Second
	defaultServfailTTL   = 5 * time.Second
	minimalDefaultTTL    = 5 * time.Second
)

// CacheConfig configures the cache plugin. "cache 30" sets both caps to
// 30 s.
type CacheConfig struct {
	// SuccessTTL and DenialTTL cap the TTLs of positive and negative
	// answers (defaults 3600 s and 1800 s).
	SuccessTTL, DenialTTL time.Duration
	// MinTTL floors both (default 5 s).
	MinTTL time.Duration
	// ServfailTTL is how long SERVFAIL is cached (default 5 s).
	ServfailTTL time.Duration
	// Capacity bounds the entries (default 9984).
	Capacity int
	// DisableSuccess and DisableDenial list zones whose positive or
	// negative answers are not cached ("disable success cluster.local").
	DisableSuccess, DisableDenial []string
	// Clock is the virtual time source; required.
	Clock func() time.Time
}

type cacheKey struct {
	name string
	qt   Type
}

type cacheItem struct {
	msg    *Msg
	stored time.Time
	ttl    time.Duration
}

// Cache is the cache plugin: it answers repeated questions from memory for
// the TTL of the answer, capped, counting down on virtual time.
type Cache struct {
	Next    Handler
	cfg     CacheConfig
	mu      sync.Mutex
	entries map[cacheKey]*cacheItem
	hits    int
	misses  int
}

// NewCache returns the cache plugin.
func NewCache(cfg CacheConfig) *Cache {
	if cfg.SuccessTTL == 0 {
		cfg.SuccessTTL = defaultMaxTTL
	}
	if cfg.DenialTTL == 0 {
		cfg.DenialTTL = defaultMaxNTTL
	}
	if cfg.MinTTL == 0 {
		cfg.MinTTL = defaultMinTTL
	}
	if cfg.MinTTL > cfg.SuccessTTL {
		cfg.MinTTL = cfg.SuccessTTL
	}
	if cfg.ServfailTTL == 0 {
		cfg.ServfailTTL = defaultServfailTTL
	}
	if cfg.Capacity == 0 {
		cfg.Capacity = DefaultCacheCapacity
	}
	if cfg.Clock == nil {
		panic("dns: cache needs a clock")
	}
	return &Cache{cfg: cfg, entries: map[cacheKey]*cacheItem{}}
}

// Plugin returns the chain constructor.
func (c *Cache) Plugin() Plugin {
	return func(next Handler) Handler { c.Next = next; return c }
}

// Name implements Handler.
func (c *Cache) Name() string { return "cache" }

func (c *Cache) nextHandler() Handler { return c.Next }

// Stats returns hits and misses.
func (c *Cache) Stats() (hits, misses int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits, c.misses
}

// Len returns the number of cached entries.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// ServeDNS implements Handler.
func (c *Cache) ServeDNS(ctx context.Context, w ResponseWriter, r *Msg) (Rcode, error) {
	q := r.Q()
	key := cacheKey{name: lower(q.Name), qt: q.Type}
	now := c.cfg.Clock()
	c.mu.Lock()
	if it, ok := c.entries[key]; ok {
		remaining := int(it.ttl.Seconds()) - int(now.Sub(it.stored).Seconds())
		if remaining >= 0 {
			c.hits++
			c.mu.Unlock()
			// A cached answer is sent authoritative, as CoreDNS does.
			m := it.msg.Copy()
			m.ID = r.ID
			m.Question = append([]Question(nil), r.Question...)
			m.Authoritative = true
			setTTL(m, uint32(remaining))
			return m.Rcode, w.WriteMsg(m)
		}
		delete(c.entries, key)
	}
	c.misses++
	c.mu.Unlock()
	return NextOrFailure(c.Name(), c.Next, ctx, &cacheWriter{ResponseWriter: w, c: c, key: key, now: now}, r)
}

func setTTL(m *Msg, ttl uint32) {
	for _, sec := range [][]RR{m.Answer, m.Ns, m.Extra} {
		for i := range sec {
			sec[i].TTL = ttl
		}
	}
}

type cacheWriter struct {
	ResponseWriter
	c   *Cache
	key cacheKey
	now time.Time
}

// responseType classifies a reply as CoreDNS's response.Typify does.
type responseType int

const (
	respNoError responseType = iota
	respNameError
	respNoData
	respServerError
	respOther
)

func typify(m *Msg) responseType {
	switch m.Rcode {
	case RcodeSuccess:
		if len(m.Answer) > 0 {
			return respNoError
		}
		return respNoData
	case RcodeNameError:
		return respNameError
	case RcodeServerFailure:
		return respServerError
	}
	return respOther
}

// minimalTTL is CoreDNS's response.MinimalTTL: the smallest TTL of the
// message (for a negative answer, the SOA's minimum counts too).
func minimalTTL(m *Msg, mt responseType) time.Duration {
	if mt != respNoError && mt != respNameError && mt != respNoData {
		return minimalDefaultTTL
	}
	if len(m.Answer)+len(m.Ns)+len(m.Extra) == 0 {
		return minimalDefaultTTL
	}
	lowest := uint32(defaultMaxTTL.Seconds())
	for _, sec := range [][]RR{m.Answer, m.Ns, m.Extra} {
		for _, rr := range sec {
			if rr.TTL < lowest {
				lowest = rr.TTL
			}
			if mt != respNoError && rr.Type == TypeSOA {
				if soa, ok := rr.SOAData(); ok && soa.Minttl < lowest {
					lowest = soa.Minttl
				}
			}
		}
	}
	return time.Duration(lowest) * time.Second
}

func clamp(d, lo, hi time.Duration) time.Duration {
	if d < lo {
		d = lo
	}
	if d > hi {
		d = hi
	}
	return d
}

func (cw *cacheWriter) WriteMsg(m *Msg) error {
	c := cw.c
	mt := typify(m)
	var d time.Duration
	cacheable := true
	switch mt {
	case respNoError:
		d = clamp(minimalTTL(m, mt), c.cfg.MinTTL, c.cfg.SuccessTTL)
		cacheable = zoneMatch(c.cfg.DisableSuccess, cw.key.name) == ""
	case respNameError, respNoData:
		d = clamp(minimalTTL(m, mt), c.cfg.MinTTL, c.cfg.DenialTTL)
		cacheable = zoneMatch(c.cfg.DisableDenial, cw.key.name) == ""
	case respServerError:
		d = c.cfg.ServfailTTL
	default:
		cacheable = false
	}
	if cacheable && d > 0 {
		c.mu.Lock()
		if len(c.entries) >= c.cfg.Capacity {
			c.evictOldest()
		}
		c.entries[cw.key] = &cacheItem{msg: m.Copy(), stored: cw.now, ttl: d}
		c.mu.Unlock()
	}
	if mt != respOther && d > 0 {
		// The reply carries the capped TTL too, as CoreDNS does.
		m = m.Copy()
		setTTL(m, uint32(d.Seconds()))
	}
	return cw.ResponseWriter.WriteMsg(m)
}

// evictOldest drops the entry stored first (CoreDNS drops a random one).
func (c *Cache) evictOldest() {
	var oldest *cacheKey
	var at time.Time
	keys := make([]cacheKey, 0, len(c.entries))
	for k := range c.entries {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].name != keys[j].name {
			return keys[i].name < keys[j].name
		}
		return keys[i].qt < keys[j].qt
	})
	for i, k := range keys {
		if it := c.entries[k]; oldest == nil || it.stored.Before(at) {
			oldest, at = &keys[i], it.stored
		}
	}
	if oldest != nil {
		delete(c.entries, *oldest)
	}
}

// ---------------------------------------------------------------- loadbalance

// LoadBalance is the loadbalance plugin (round_robin): it shuffles the A
// and AAAA records of every successful answer, CNAMEs kept first, with the
// caller's random source.
type LoadBalance struct {
	Next Handler
	mu   sync.Mutex
	rng  *rand.Rand
}

// NewLoadBalance returns the plugin; rng drives the shuffle.
func NewLoadBalance(rng *rand.Rand) *LoadBalance { return &LoadBalance{rng: rng} }

// Plugin returns the chain constructor.
func (lb *LoadBalance) Plugin() Plugin {
	return func(next Handler) Handler { lb.Next = next; return lb }
}

// Name implements Handler.
func (lb *LoadBalance) Name() string { return "loadbalance" }

func (lb *LoadBalance) nextHandler() Handler { return lb.Next }

// ServeDNS implements Handler.
func (lb *LoadBalance) ServeDNS(ctx context.Context, w ResponseWriter, r *Msg) (Rcode, error) {
	return NextOrFailure(lb.Name(), lb.Next, ctx, &lbWriter{ResponseWriter: w, lb: lb}, r)
}

type lbWriter struct {
	ResponseWriter
	lb *LoadBalance
}

func (w *lbWriter) WriteMsg(m *Msg) error {
	if m.Rcode != RcodeSuccess {
		return w.ResponseWriter.WriteMsg(m)
	}
	m = m.Copy()
	m.Answer = w.lb.roundRobin(m.Answer)
	m.Extra = w.lb.roundRobin(m.Extra)
	return w.ResponseWriter.WriteMsg(m)
}

func (lb *LoadBalance) roundRobin(in []RR) []RR {
	var cname, address, rest []RR
	for _, rr := range in {
		switch rr.Type {
		case TypeCNAME:
			cname = append(cname, rr)
		case TypeA, TypeAAAA:
			address = append(address, rr)
		default:
			rest = append(rest, rr)
		}
	}
	lb.mu.Lock()
	lb.rng.Shuffle(len(address), func(i, j int) { address[i], address[j] = address[j], address[i] })
	lb.mu.Unlock()
	out := append(cname, address...)
	return append(out, rest...)
}

// ---------------------------------------------------------------- forward

// Upstream is a server the forward plugin sends queries to. A fake table
// (StaticUpstream) stands in for the Internet in tests and scenarios.
type Upstream interface {
	Exchange(ctx context.Context, m *Msg) (*Msg, error)
	String() string
}

// ErrNoHealthy is forward's error when every upstream failed.
var ErrNoHealthy = errors.New("no healthy proxies")

// Forward is the forward plugin ("forward . /etc/resolv.conf"): queries in
// From are sent to an upstream picked at random (policy random), the next
// one on error; an upstream failing MaxFails times in a row is skipped
// until it answers again. When all fail the reply is SERVFAIL.
type Forward struct {
	Next      Handler
	From      string
	Upstreams []Upstream
	MaxFails  int
	mu        sync.Mutex
	rng       *rand.Rand
	fails     map[int]int
}

// NewForward returns the plugin; rng drives the random policy.
func NewForward(from string, rng *rand.Rand, upstreams ...Upstream) *Forward {
	return &Forward{From: Fqdn(from), Upstreams: upstreams, MaxFails: 2, rng: rng, fails: map[int]int{}}
}

// Plugin returns the chain constructor.
func (f *Forward) Plugin() Plugin {
	return func(next Handler) Handler { f.Next = next; return f }
}

// Name implements Handler.
func (f *Forward) Name() string { return "forward" }

func (f *Forward) nextHandler() Handler { return f.Next }

// ServeDNS implements Handler.
func (f *Forward) ServeDNS(ctx context.Context, w ResponseWriter, r *Msg) (Rcode, error) {
	if !IsSubDomain(f.From, r.Q().Name) {
		return NextOrFailure(f.Name(), f.Next, ctx, w, r)
	}
	f.mu.Lock()
	order := f.rng.Perm(len(f.Upstreams))
	var healthy []int
	for _, i := range order {
		if f.MaxFails == 0 || f.fails[i] < f.MaxFails {
			healthy = append(healthy, i)
		}
	}
	if len(healthy) == 0 {
		// All marked down: CoreDNS then tries a random one anyway.
		healthy = order
	}
	f.mu.Unlock()
	var lastErr error
	for _, i := range healthy {
		ret, err := f.Upstreams[i].Exchange(ctx, r.Copy())
		f.mu.Lock()
		if err != nil {
			f.fails[i]++
			f.mu.Unlock()
			lastErr = err
			continue
		}
		f.fails[i] = 0
		f.mu.Unlock()
		ret = ret.Copy()
		ret.ID = r.ID
		return ret.Rcode, w.WriteMsg(ret)
	}
	if lastErr != nil {
		return RcodeServerFailure, lastErr
	}
	return RcodeServerFailure, ErrNoHealthy
}

// StaticUpstream is a fake recursive server answering from a table. A name
// in the table answers NOERROR (with no record of another type: NODATA);
// any other name is NXDOMAIN with the root SOA; Down makes every exchange
// time out; ServFail makes it answer SERVFAIL.
type StaticUpstream struct {
	Addr     string
	Records  []RR
	Down     bool
	ServFail bool
	mu       sync.Mutex
	queries  []Question
}

// ErrTimeout is the error of a query nobody answered.
var ErrTimeout = errors.New("i/o timeout")

func (s *StaticUpstream) String() string { return s.Addr }

// Queries returns what the upstream was asked.
func (s *StaticUpstream) Queries() []Question {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Question(nil), s.queries...)
}

// rootSOA is the root zone's SOA, the authority of an NXDOMAIN from the
// Internet.
var rootSOA = NewSOA(".", 86400, SOA{Ns: "a.root-servers.net.", Mbox: "nstld.verisign-grs.com.", Serial: 2025112500, Refresh: 1800, Retry: 900, Expire: 604800, Minttl: 86400})

// Exchange implements Upstream.
func (s *StaticUpstream) Exchange(_ context.Context, m *Msg) (*Msg, error) {
	s.mu.Lock()
	s.queries = append(s.queries, m.Q())
	s.mu.Unlock()
	if s.Down {
		return nil, fmt.Errorf("read udp %s: %w", s.Addr, ErrTimeout)
	}
	q := m.Q()
	out := m.Reply()
	out.RecursionAvailable = true
	if s.ServFail {
		out.Rcode = RcodeServerFailure
		return out, nil
	}
	found := false
	name := lower(q.Name)
	for range 8 {
		var cname *RR
		for _, rr := range s.Records {
			if lower(rr.Name) != name {
				continue
			}
			found = true
			switch {
			case rr.Type == q.Type:
				out.Answer = append(out.Answer, rr)
			case rr.Type == TypeCNAME:
				c := rr
				cname = &c
			}
		}
		if cname == nil || q.Type == TypeCNAME {
			break
		}
		out.Answer = append(out.Answer, *cname)
		name = lower(cname.Data)
	}
	if !found {
		out.Rcode = RcodeNameError
		out.Ns = []RR{rootSOA}
	} else if len(out.Answer) == 0 {
		out.Ns = []RR{rootSOA}
	}
	return out, nil
}
