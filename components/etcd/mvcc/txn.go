package mvcc

import (
	"bytes"
	"cmp"
)

// CompareTarget is the field of a key a Compare looks at.
type CompareTarget int

// The compare targets of etcd's Compare.CompareTarget.
const (
	TargetVersion CompareTarget = iota
	TargetCreate
	TargetMod
	TargetValue
	TargetLease
)

func (t CompareTarget) String() string {
	switch t {
	case TargetVersion:
		return "version"
	case TargetCreate:
		return "create_revision"
	case TargetMod:
		return "mod_revision"
	case TargetValue:
		return "value"
	case TargetLease:
		return "lease"
	}
	return "unknown"
}

// CompareResult is the relation a Compare asks for.
type CompareResult int

// The relations of etcd's Compare.CompareResult.
const (
	Equal CompareResult = iota
	Greater
	Less
	NotEqual
)

func (r CompareResult) String() string {
	switch r {
	case Equal:
		return "="
	case Greater:
		return ">"
	case Less:
		return "<"
	case NotEqual:
		return "!="
	}
	return "?"
}

// Compare is one condition of a txn: "<target of key> <result> <operand>".
//
// A key that does not exist compares as a KeyValue of zero values, so
// "create only if absent" is CmpModRevision(key, Equal, 0). A value compare
// on a missing key is always false, as in etcd (an empty value and no value
// cannot be told apart).
type Compare struct {
	Key string
	// RangeEnd, if set, makes the compare hold only if it holds for every
	// existing key in [Key, RangeEnd) (end as in Range).
	RangeEnd string
	Target   CompareTarget
	Result   CompareResult
	// The operand: the field matching Target is used.
	Version        int64
	CreateRevision int64
	ModRevision    int64
	Lease          int64
	Value          []byte
}

// CmpVersion compares the version of key.
func CmpVersion(key string, result CompareResult, version int64) Compare {
	return Compare{Key: key, Target: TargetVersion, Result: result, Version: version}
}

// CmpCreateRevision compares the create revision of key.
func CmpCreateRevision(key string, result CompareResult, rev int64) Compare {
	return Compare{Key: key, Target: TargetCreate, Result: result, CreateRevision: rev}
}

// CmpModRevision compares the mod revision of key.
func CmpModRevision(key string, result CompareResult, rev int64) Compare {
	return Compare{Key: key, Target: TargetMod, Result: result, ModRevision: rev}
}

// CmpValue compares the value of key (bytewise).
func CmpValue(key string, result CompareResult, value []byte) Compare {
	return Compare{Key: key, Target: TargetValue, Result: result, Value: value}
}

// CmpLease compares the lease of key.
func CmpLease(key string, result CompareResult, lease LeaseID) Compare {
	return Compare{Key: key, Target: TargetLease, Result: result, Lease: int64(lease)}
}

// OpType says what an Op does.
type OpType int

// Op types.
const (
	OpTypeRange OpType = iota + 1
	OpTypePut
	OpTypeDelete
	OpTypeTxn
)

// Op is one operation of a txn branch. Build it with OpGet, OpPut, OpDelete
// or OpTxn.
type Op struct {
	Type  OpType
	Key   string
	End   string       // Range and Delete: range end as in Range
	Value []byte       // Put
	Lease LeaseID      // Put
	Range RangeOptions // Range
	Txn   *TxnRequest  // Txn: a nested transaction
}

// OpGet reads [key, end) inside a txn.
func OpGet(key, end string, opt RangeOptions) Op {
	return Op{Type: OpTypeRange, Key: key, End: end, Range: opt}
}

// OpPut writes key inside a txn.
func OpPut(key string, value []byte, lease LeaseID) Op {
	return Op{Type: OpTypePut, Key: key, Value: value, Lease: lease}
}

// OpDelete deletes [key, end) inside a txn.
func OpDelete(key, end string) Op {
	return Op{Type: OpTypeDelete, Key: key, End: end}
}

// OpTxn nests a transaction; its compares see the state before the outer
// txn, as in etcd.
func OpTxn(req TxnRequest) Op {
	return Op{Type: OpTypeTxn, Txn: &req}
}

// TxnRequest is "if all Compare hold then Success else Failure".
type TxnRequest struct {
	Compare []Compare
	Success []Op
	Failure []Op
}

// TxnResponse is the answer to a Txn.
type TxnResponse struct {
	// Succeeded reports whether every compare held.
	Succeeded bool
	// Rev is the revision of the txn's writes, or the current revision if
	// it wrote nothing (a read-only txn does not move the revision).
	Rev int64
	// Responses answer the ops of the branch taken, in order.
	Responses []OpResponse
}

// OpResponse answers one Op; the field matching Type is set.
type OpResponse struct {
	Type   OpType
	Range  RangeResult
	Put    PutResult
	Delete DeleteResult
	Txn    *TxnResponse
}

// Txn runs a transaction atomically: the compares are evaluated at the
// current revision, then the ops of one branch run in order, and all their
// writes share one new revision (sub revisions order them). Reads inside
// the txn see its earlier writes.
//
// The request is checked before anything changes, as etcd's apply does:
// too many ops (ErrTooManyOps), a key written twice on one path
// (ErrDuplicateKey), an empty key, then, for the branch to be taken, unknown
// leases, ranges at compacted or future revisions, and the quota.
func (s *Store) Txn(req TxnRequest) (TxnResponse, error) {
	s.mustNotBeNotifying()
	if err := s.checkTxn(&req, s.cfg.MaxTxnOps); err != nil {
		return TxnResponse{}, err
	}
	// Decide every branch, nested ones included, against the state before
	// the txn.
	var path []bool
	s.choosePath(&req, &path)
	var cost int64
	writes := false
	i := 0
	if err := s.checkPath(&req, path, &i, &cost, &writes); err != nil {
		return TxnResponse{}, err
	}
	if !writes {
		i = 0
		resp := s.execTxn(&req, path, &i)
		setTxnRev(&resp, s.rev)
		return resp, nil
	}
	if err := s.checkQuota(cost); err != nil {
		return TxnResponse{}, err
	}
	s.beginWrite()
	i = 0
	resp := s.execTxn(&req, path, &i)
	setTxnRev(&resp, s.commitWrite())
	return resp, nil
}

// checkTxn validates the shape of a request; maxOps shrinks for nested txns
// by the ops of the enclosing branch, as etcd counts them.
func (s *Store) checkTxn(req *TxnRequest, maxOps int) error {
	if len(req.Compare) > maxOps || len(req.Success) > maxOps || len(req.Failure) > maxOps {
		return ErrTooManyOps
	}
	for i := range req.Compare {
		if req.Compare[i].Key == "" {
			return ErrEmptyKey
		}
	}
	for _, branch := range [][]Op{req.Success, req.Failure} {
		for i := range branch {
			op := &branch[i]
			if op.Type == OpTypeTxn {
				if op.Txn == nil {
					continue
				}
				if err := s.checkTxn(op.Txn, maxOps-len(branch)); err != nil {
					return err
				}
			} else if op.Key == "" {
				return ErrEmptyKey
			}
		}
		if _, err := branchWrites(branch); err != nil {
			return err
		}
	}
	return nil
}

// writeSet is what one branch may write: put keys and deleted ranges.
type writeSet struct {
	puts []string
	dels []Op // Key and End of each delete
}

// branchWrites returns what a branch may write, failing with
// ErrDuplicateKey if two of its ops would write one key: two puts, or a put
// inside a deleted range. The two branches of a nested txn are alternatives
// and may overlap each other, as in etcd's checkIntervals.
func branchWrites(ops []Op) (writeSet, error) {
	if len(ops) == 1 && ops[0].Type != OpTypeTxn {
		return opWrites(&ops[0]), nil
	}
	children := make([]writeSet, len(ops))
	var all writeSet
	for i := range ops {
		if ops[i].Type == OpTypeTxn {
			if ops[i].Txn == nil {
				continue
			}
			sw, err := branchWrites(ops[i].Txn.Success)
			if err != nil {
				return writeSet{}, err
			}
			fw, err := branchWrites(ops[i].Txn.Failure)
			if err != nil {
				return writeSet{}, err
			}
			children[i] = writeSet{
				puts: append(sw.puts, fw.puts...),
				dels: append(sw.dels, fw.dels...),
			}
		} else {
			children[i] = opWrites(&ops[i])
		}
		all.puts = append(all.puts, children[i].puts...)
		all.dels = append(all.dels, children[i].dels...)
	}
	owner := make(map[string]int, len(all.puts))
	for ci := range children {
		for _, k := range children[ci].puts {
			if o, ok := owner[k]; ok && o != ci {
				return writeSet{}, ErrDuplicateKey
			}
			owner[k] = ci
		}
	}
	for ci := range children {
		for _, d := range children[ci].dels {
			for cj := range children {
				if cj == ci {
					continue
				}
				for _, k := range children[cj].puts {
					if inRange(k, d.Key, d.End) {
						return writeSet{}, ErrDuplicateKey
					}
				}
			}
		}
	}
	return all, nil
}

func opWrites(op *Op) writeSet {
	switch op.Type {
	case OpTypePut:
		return writeSet{puts: []string{op.Key}}
	case OpTypeDelete:
		return writeSet{dels: []Op{{Key: op.Key, End: op.End}}}
	}
	return writeSet{}
}

// inRange reports whether k is in [key, end) with end as in Range.
func inRange(k, key, end string) bool {
	switch end {
	case "":
		return k == key
	case allKeys:
		return k >= key
	}
	return key <= k && k < end
}

// choosePath evaluates the compares of req and of the nested txns on the
// branch it takes, appending each decision in execution order.
func (s *Store) choosePath(req *TxnRequest, path *[]bool) {
	ok := true
	for i := range req.Compare {
		if !s.compare(&req.Compare[i]) {
			ok = false
			break
		}
	}
	*path = append(*path, ok)
	for _, op := range branchOf(req, ok) {
		if op.Type == OpTypeTxn && op.Txn != nil {
			s.choosePath(op.Txn, path)
		}
	}
}

func branchOf(req *TxnRequest, succeeded bool) []Op {
	if succeeded {
		return req.Success
	}
	return req.Failure
}

// checkPath checks the ops on the chosen path, sums the quota cost of its
// puts and reports whether it writes.
func (s *Store) checkPath(req *TxnRequest, path []bool, i *int, cost *int64, writes *bool) error {
	ok := path[*i]
	*i++
	for _, op := range branchOf(req, ok) {
		switch op.Type {
		case OpTypeRange:
			if _, err := s.checkRev(op.Range.Rev, s.rev); err != nil {
				return err
			}
		case OpTypePut:
			if err := s.checkLease(op.Lease); err != nil {
				return err
			}
			*cost += putCost(op.Key, op.Value)
			*writes = true
		case OpTypeDelete:
			*writes = true
		case OpTypeTxn:
			if op.Txn != nil {
				if err := s.checkPath(op.Txn, path, i, cost, writes); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// execTxn runs the chosen path; everything has been checked.
func (s *Store) execTxn(req *TxnRequest, path []bool, i *int) TxnResponse {
	resp := TxnResponse{Succeeded: path[*i]}
	*i++
	ops := branchOf(req, resp.Succeeded)
	if len(ops) > 0 {
		resp.Responses = make([]OpResponse, len(ops))
	}
	for j, op := range ops {
		out := &resp.Responses[j]
		out.Type = op.Type
		switch op.Type {
		case OpTypeRange:
			rev := op.Range.Rev
			if rev <= 0 {
				rev = s.readRevInTxn()
			}
			out.Range = s.rangeAt(op.Key, op.End, rev, op.Range)
		case OpTypePut:
			if prev := s.put(op.Key, op.Value, op.Lease); prev != nil {
				out.Put.PrevKV = &prev.kv
			}
		case OpTypeDelete:
			out.Delete = s.deleteRange(op.Key, op.End)
		case OpTypeTxn:
			if op.Txn != nil {
				nested := s.execTxn(op.Txn, path, i)
				out.Txn = &nested
			}
		}
	}
	return resp
}

// setTxnRev stamps the txn's final revision on every response inside it,
// as etcd fills every nested response header with the txn's revision.
func setTxnRev(resp *TxnResponse, rev int64) {
	resp.Rev = rev
	for j := range resp.Responses {
		r := &resp.Responses[j]
		switch r.Type {
		case OpTypeRange:
			r.Range.Rev = rev
		case OpTypePut:
			r.Put.Rev = rev
		case OpTypeDelete:
			r.Delete.Rev = rev
		case OpTypeTxn:
			if r.Txn != nil {
				setTxnRev(r.Txn, rev)
			}
		}
	}
}

// compare evaluates one compare at the current revision.
func (s *Store) compare(c *Compare) bool {
	if c.RangeEnd == "" {
		var r *record
		if ki := s.index.get(c.Key); ki != nil {
			r = ki.latest()
		}
		if r == nil {
			return c.Target != TargetValue && compareKV(c, &KeyValue{})
		}
		return compareKV(c, &r.kv)
	}
	ok, any := true, false
	s.index.ascend(c.Key, c.RangeEnd, func(ki *keyIndex) bool {
		r := ki.latest()
		if r == nil {
			return true
		}
		any = true
		ok = compareKV(c, &r.kv)
		return ok
	})
	if !any {
		return c.Target != TargetValue && compareKV(c, &KeyValue{})
	}
	return ok
}

func compareKV(c *Compare, kv *KeyValue) bool {
	var d int
	switch c.Target {
	case TargetVersion:
		d = cmp.Compare(kv.Version, c.Version)
	case TargetCreate:
		d = cmp.Compare(kv.CreateRevision, c.CreateRevision)
	case TargetMod:
		d = cmp.Compare(kv.ModRevision, c.ModRevision)
	case TargetLease:
		d = cmp.Compare(kv.Lease, c.Lease)
	case TargetValue:
		d = bytes.Compare(kv.Value, c.Value)
	default:
		return false
	}
	switch c.Result {
	case Equal:
		return d == 0
	case Greater:
		return d > 0
	case Less:
		return d < 0
	case NotEqual:
		return d != 0
	}
	return false
}
