package api

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// SelectorOperator is an operator of a parsed selector requirement.
type SelectorOperator string

// Selector operators, spelled as in the string syntax.
const (
	SelectorDoesNotExist SelectorOperator = "!"
	SelectorEquals       SelectorOperator = "="
	SelectorDoubleEquals SelectorOperator = "=="
	SelectorIn           SelectorOperator = "in"
	SelectorNotEquals    SelectorOperator = "!="
	SelectorNotIn        SelectorOperator = "notin"
	SelectorExists       SelectorOperator = "exists"
	SelectorGreaterThan  SelectorOperator = "gt"
	SelectorLessThan     SelectorOperator = "lt"
)

// Requirement is one validated expression of a Selector. Values are sorted
// and free of duplicates.
type Requirement struct {
	Key      string
	Operator SelectorOperator
	Values   []string
}

// NewRequirement validates and builds a requirement; errors read like
// Kubernetes' field errors: `values: Invalid value: ...`.
func NewRequirement(key string, op SelectorOperator, values []string) (Requirement, error) {
	var errs []string
	if msg := validateQualifiedName(key); msg != "" {
		errs = append(errs, invalidField("key", key, msg))
	}
	vals := uniqueSorted(values)
	switch op {
	case SelectorIn, SelectorNotIn:
		if len(vals) == 0 {
			errs = append(errs, invalidField("values", vals, "for 'in', 'notin' operators, values set can't be empty"))
		}
	case SelectorEquals, SelectorDoubleEquals, SelectorNotEquals:
		if len(vals) != 1 {
			errs = append(errs, invalidField("values", vals, "exact-match compatibility requires one single value"))
		}
	case SelectorExists, SelectorDoesNotExist:
		if len(vals) != 0 {
			errs = append(errs, invalidField("values", vals, "values set must be empty for exists and does not exist"))
		}
	case SelectorGreaterThan, SelectorLessThan:
		if len(vals) != 1 {
			errs = append(errs, invalidField("values", vals, "for 'Gt', 'Lt' operators, exactly one value is required"))
		}
		for i, v := range vals {
			if _, err := strconv.ParseInt(v, 10, 64); err != nil {
				errs = append(errs, invalidField(fmt.Sprintf("values[%d]", i), v, "for 'Gt', 'Lt' operators, the value must be an integer"))
			}
		}
	default:
		errs = append(errs, fmt.Sprintf("operator: Unsupported value: %q: supported values: \"in\", \"notin\", \"=\", \"==\", \"!=\", \"gt\", \"lt\", \"exists\", \"!\"", string(op)))
	}
	for i, v := range vals {
		if msg := validateLabelValue(v); msg != "" {
			errs = append(errs, invalidField(fmt.Sprintf("values[%d][%s]", i, key), v, msg))
		}
	}
	switch len(errs) {
	case 0:
		return Requirement{Key: key, Operator: op, Values: vals}, nil
	case 1:
		return Requirement{}, fmt.Errorf("%s", errs[0])
	default:
		return Requirement{}, fmt.Errorf("[%s]", strings.Join(errs, ", "))
	}
}

func uniqueSorted(values []string) []string {
	if len(values) == 0 {
		return nil
	}
	out := append([]string(nil), values...)
	sort.Strings(out)
	n := 1
	for i := 1; i < len(out); i++ {
		if out[i] != out[n-1] {
			out[n] = out[i]
			n++
		}
	}
	return out[:n]
}

// invalidField renders a field.Invalid error as Kubernetes prints it.
func invalidField(path string, value any, detail string) string {
	var v string
	switch x := value.(type) {
	case string:
		v = strconv.Quote(x)
	case []string:
		q := make([]string, len(x))
		for i, s := range x {
			q[i] = strconv.Quote(s)
		}
		v = "[]string{" + strings.Join(q, ", ") + "}"
	default:
		v = fmt.Sprintf("%#v", x)
	}
	return path + ": Invalid value: " + v + ": " + detail
}

var (
	qualifiedNameRE = regexp.MustCompile(`^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`)
	labelValueRE    = regexp.MustCompile(`^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$`)
	dns1123SubRE    = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
)

const (
	qualifiedNameErr = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
	labelValueErr    = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
	dns1123SubErr    = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)

// validateQualifiedName checks a label key ("app", "kubernetes.io/os") and
// returns Kubernetes' message, or "" when valid.
func validateQualifiedName(key string) string {
	var msgs []string
	parts := strings.Split(key, "/")
	var name string
	switch len(parts) {
	case 1:
		name = parts[0]
	case 2:
		prefix := parts[0]
		name = parts[1]
		switch {
		case prefix == "":
			msgs = append(msgs, "prefix part must be non-empty")
		case len(prefix) > 253:
			msgs = append(msgs, "prefix part must be no more than 253 characters")
		case !dns1123SubRE.MatchString(prefix):
			msgs = append(msgs, "prefix part "+dns1123SubErr)
		}
	default:
		return "a qualified name " + qualifiedNameErr + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
	}
	switch {
	case name == "":
		msgs = append(msgs, "name part must be non-empty")
	case len(name) > 63:
		msgs = append(msgs, "name part must be no more than 63 characters")
	}
	if name != "" && !qualifiedNameRE.MatchString(name) {
		msgs = append(msgs, "name part "+qualifiedNameErr)
	}
	return strings.Join(msgs, "; ")
}

// validateLabelValue returns Kubernetes' message for an invalid label
// value, or "".
func validateLabelValue(v string) string {
	var msgs []string
	if len(v) > 63 {
		msgs = append(msgs, "must be no more than 63 characters")
	}
	if !labelValueRE.MatchString(v) {
		msgs = append(msgs, labelValueErr)
	}
	return strings.Join(msgs, "; ")
}

// Matches reports whether labels satisfy the requirement. Absent keys
// satisfy NotIn, != and DoesNotExist; Gt and Lt need both sides to be
// integers.
func (r Requirement) Matches(labels map[string]string) bool {
	v, has := labels[r.Key]
	switch r.Operator {
	case SelectorIn, SelectorEquals, SelectorDoubleEquals:
		return has && r.hasValue(v)
	case SelectorNotIn, SelectorNotEquals:
		return !has || !r.hasValue(v)
	case SelectorExists:
		return has
	case SelectorDoesNotExist:
		return !has
	case SelectorGreaterThan, SelectorLessThan:
		if !has || len(r.Values) != 1 {
			return false
		}
		lv, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return false
		}
		rv, err := strconv.ParseInt(r.Values[0], 10, 64)
		if err != nil {
			return false
		}
		if r.Operator == SelectorGreaterThan {
			return lv > rv
		}
		return lv < rv
	}
	return false
}

func (r Requirement) hasValue(v string) bool {
	i := sort.SearchStrings(r.Values, v)
	return i < len(r.Values) && r.Values[i] == v
}

// String renders the requirement in selector syntax: "a=b", "a in (x,y)",
// "!a", "a>3".
func (r Requirement) String() string {
	var b strings.Builder
	if r.Operator == SelectorDoesNotExist {
		b.WriteString("!")
	}
	b.WriteString(r.Key)
	switch r.Operator {
	case SelectorEquals:
		b.WriteString("=")
	case SelectorDoubleEquals:
		b.WriteString("==")
	case SelectorNotEquals:
		b.WriteString("!=")
	case SelectorIn:
		b.WriteString(" in ")
	case SelectorNotIn:
		b.WriteString(" notin ")
	case SelectorGreaterThan:
		b.WriteString(">")
	case SelectorLessThan:
		b.WriteString("<")
	case SelectorExists, SelectorDoesNotExist:
		return b.String()
	}
	if r.Operator == SelectorIn || r.Operator == SelectorNotIn {
		b.WriteString("(" + strings.Join(r.Values, ",") + ")")
	} else {
		b.WriteString(strings.Join(r.Values, ","))
	}
	return b.String()
}

// Selector is a parsed, validated label selector: a conjunction of
// requirements sorted by key. The zero Selector matches everything;
// Nothing() matches nothing.
type Selector struct {
	reqs    []Requirement
	nothing bool
}

// Everything returns a selector that matches all label sets.
func Everything() Selector { return Selector{} }

// Nothing returns a selector that matches no label set.
func Nothing() Selector { return Selector{nothing: true} }

// SelectorFromSet returns the equality selector of a label set.
func SelectorFromSet(set map[string]string) Selector {
	var s Selector
	for k, v := range set {
		s.reqs = append(s.reqs, Requirement{Key: k, Operator: SelectorEquals, Values: []string{v}})
	}
	s.sort()
	return s
}

// NewSelector builds a selector from validated requirements.
func NewSelector(reqs ...Requirement) Selector {
	s := Selector{reqs: append([]Requirement(nil), reqs...)}
	s.sort()
	return s
}

func (s *Selector) sort() {
	sort.SliceStable(s.reqs, func(i, j int) bool { return s.reqs[i].Key < s.reqs[j].Key })
}

// Matches reports whether labels satisfy every requirement.
func (s Selector) Matches(labels map[string]string) bool {
	if s.nothing {
		return false
	}
	for _, r := range s.reqs {
		if !r.Matches(labels) {
			return false
		}
	}
	return true
}

// Empty reports whether the selector has no requirements (and so matches
// everything).
func (s Selector) Empty() bool { return !s.nothing && len(s.reqs) == 0 }

// IsNothing reports whether the selector matches nothing.
func (s Selector) IsNothing() bool { return s.nothing }

// Requirements returns a copy of the requirements.
func (s Selector) Requirements() []Requirement {
	return append([]Requirement(nil), s.reqs...)
}

// String renders the selector in `-l` syntax, requirements sorted by key
// and joined by commas. Everything and Nothing render as "".
func (s Selector) String() string {
	parts := make([]string, len(s.reqs))
	for i, r := range s.reqs {
		parts[i] = r.String()
	}
	return strings.Join(parts, ",")
}

// LabelSelectorAsSelector converts an API LabelSelector: nil selects
// nothing, an empty one everything, as metav1.LabelSelectorAsSelector.
func LabelSelectorAsSelector(ls *LabelSelector) (Selector, error) {
	if ls == nil {
		return Nothing(), nil
	}
	var reqs []Requirement
	for _, k := range sortedKeys(ls.MatchLabels) {
		r, err := NewRequirement(k, SelectorEquals, []string{ls.MatchLabels[k]})
		if err != nil {
			return Selector{}, err
		}
		reqs = append(reqs, r)
	}
	for _, e := range ls.MatchExpressions {
		var op SelectorOperator
		switch e.Operator {
		case LabelSelectorOpIn:
			op = SelectorIn
		case LabelSelectorOpNotIn:
			op = SelectorNotIn
		case LabelSelectorOpExists:
			op = SelectorExists
		case LabelSelectorOpDoesNotExist:
			op = SelectorDoesNotExist
		default:
			return Selector{}, fmt.Errorf("%q is not a valid label selector operator", e.Operator)
		}
		r, err := NewRequirement(e.Key, op, e.Values)
		if err != nil {
			return Selector{}, err
		}
		reqs = append(reqs, r)
	}
	return NewSelector(reqs...), nil
}

// SelectorMatches reports whether labels match ls. A nil selector matches
// nothing, an empty one everything, an invalid one nothing.
func SelectorMatches(ls *LabelSelector, labels map[string]string) bool {
	s, err := LabelSelectorAsSelector(ls)
	if err != nil {
		return false
	}
	return s.Matches(labels)
}

// FormatLabelSelector renders ls as kubectl prints selectors ("app=web",
// "tier in (be,fe)"); "<none>" when it selects everything, "<error>" when
// invalid, as metav1.FormatLabelSelector.
func FormatLabelSelector(ls *LabelSelector) string {
	s, err := LabelSelectorAsSelector(ls)
	if err != nil {
		return "<error>"
	}
	if str := s.String(); str != "" {
		return str
	}
	return "<none>"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ---------------------------------------------------------------- parser

// selToken is a lexical token of the selector syntax.
type selToken int

const (
	tokErr selToken = iota
	tokEnd
	tokIdent
	tokComma
	tokNot // "!"
	tokEq
	tokDoubleEq
	tokNotEq
	tokGt
	tokLt
	tokOpen
	tokClose
	tokIn
	tokNotIn
)

type selLexeme struct {
	tok selToken
	lit string
}

func isSpecial(c byte) bool { return strings.IndexByte("=!(),<>", c) >= 0 }

// lexSelector splits s into tokens. Keywords are classified later, since
// "in" is a keyword only where an operator is expected.
func lexSelector(s string) []selLexeme {
	var out []selLexeme
	i := 0
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
			i++
		}
		if i >= len(s) {
			out = append(out, selLexeme{tokEnd, ""})
			return out
		}
		c := s[i]
		if isSpecial(c) {
			// The longest known symbol wins: "!=" and "==" are two bytes,
			// every other symbol one.
			j := i + 1
			if j < len(s) && (s[i:j+1] == "!=" || s[i:j+1] == "==") {
				j++
			}
			sym := s[i:j]
			i = j
			switch sym {
			case ",":
				out = append(out, selLexeme{tokComma, sym})
			case "!":
				out = append(out, selLexeme{tokNot, sym})
			case "=":
				out = append(out, selLexeme{tokEq, sym})
			case "==":
				out = append(out, selLexeme{tokDoubleEq, sym})
			case "!=":
				out = append(out, selLexeme{tokNotEq, sym})
			case ">":
				out = append(out, selLexeme{tokGt, sym})
			case "<":
				out = append(out, selLexeme{tokLt, sym})
			case "(":
				out = append(out, selLexeme{tokOpen, sym})
			case ")":
				out = append(out, selLexeme{tokClose, sym})
			}
			continue
		}
		j := i
		for j < len(s) && !isSpecial(s[j]) && s[j] != ' ' && s[j] != '\t' && s[j] != '\n' && s[j] != '\r' {
			j++
		}
		out = append(out, selLexeme{tokIdent, s[i:j]})
		i = j
	}
}

type selParser struct {
	toks []selLexeme
	pos  int
}

func (p *selParser) peek() selLexeme { return p.toks[p.pos] }

func (p *selParser) next() selLexeme {
	t := p.toks[p.pos]
	if p.pos < len(p.toks)-1 {
		p.pos++
	}
	return t
}

// ParseSelector parses the `-l` syntax: `a=b,c!=d,e in (x,y),f notin (z),g,!h`
// (also `==`, `a>1`, `a<1`). Errors carry Kubernetes' texts, e.g.
// `unable to parse requirement: found ”, expected: identifier`.
func ParseSelector(s string) (Selector, error) {
	p := &selParser{toks: lexSelector(s)}
	var reqs []Requirement
	for {
		t := p.peek()
		switch t.tok {
		case tokIdent, tokNot:
			r, err := p.parseRequirement()
			if err != nil {
				return Selector{}, fmt.Errorf("unable to parse requirement: %v", err)
			}
			reqs = append(reqs, r)
			n := p.next()
			switch n.tok {
			case tokEnd:
				return NewSelector(reqs...), nil
			case tokComma:
				if t2 := p.peek(); t2.tok != tokIdent && t2.tok != tokNot {
					return Selector{}, fmt.Errorf("found '%s', expected: identifier after ','", t2.lit)
				}
			default:
				return Selector{}, fmt.Errorf("found '%s', expected: ',' or 'end of string'", n.lit)
			}
		case tokEnd:
			return NewSelector(reqs...), nil
		default:
			return Selector{}, fmt.Errorf("found '%s', expected: !, identifier, or 'end of string'", t.lit)
		}
	}
}

// MustParseSelector is ParseSelector for constants; it panics on error.
func MustParseSelector(s string) Selector {
	sel, err := ParseSelector(s)
	if err != nil {
		panic(err)
	}
	return sel
}

func (p *selParser) parseRequirement() (Requirement, error) {
	notExists := false
	t := p.next()
	if t.tok == tokNot {
		notExists = true
		t = p.next()
	}
	if t.tok != tokIdent {
		return Requirement{}, fmt.Errorf("found '%s', expected: identifier", t.lit)
	}
	key := t.lit
	if msg := validateQualifiedName(key); msg != "" {
		return Requirement{}, fmt.Errorf("%s", invalidField("key", key, msg))
	}
	if notExists {
		// In "!a=b" the caller then finds '=' where it expects ',' or the
		// end, as Kubernetes' parser does.
		return NewRequirement(key, SelectorDoesNotExist, nil)
	}
	if n := p.peek(); n.tok == tokEnd || n.tok == tokComma {
		return NewRequirement(key, SelectorExists, nil)
	}
	op, err := p.parseOperator()
	if err != nil {
		return Requirement{}, err
	}
	var values []string
	switch op {
	case SelectorIn, SelectorNotIn:
		values, err = p.parseValues()
	default:
		values, err = p.parseExactValue()
	}
	if err != nil {
		return Requirement{}, err
	}
	return NewRequirement(key, op, values)
}

func (p *selParser) parseOperator() (SelectorOperator, error) {
	t := p.next()
	switch t.tok {
	case tokEq:
		return SelectorEquals, nil
	case tokDoubleEq:
		return SelectorDoubleEquals, nil
	case tokNotEq:
		return SelectorNotEquals, nil
	case tokGt:
		return SelectorGreaterThan, nil
	case tokLt:
		return SelectorLessThan, nil
	case tokIdent:
		switch t.lit {
		case "in":
			return SelectorIn, nil
		case "notin":
			return SelectorNotIn, nil
		}
	}
	return "", fmt.Errorf("found '%s', expected: in, notin, =, ==, !=, gt, lt", t.lit)
}

func (p *selParser) parseValues() ([]string, error) {
	t := p.next()
	if t.tok != tokOpen {
		return nil, fmt.Errorf("found '%s' expected: '('", t.lit)
	}
	t = p.peek()
	switch t.tok {
	case tokIdent, tokComma:
		vals, err := p.parseIdentifiersList()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.tok != tokClose {
			return nil, fmt.Errorf("found '%s', expected: ')'", c.lit)
		}
		return vals, nil
	case tokClose:
		p.next()
		return []string{""}, nil
	default:
		return nil, fmt.Errorf("found '%s', expected: ',', ')' or identifier", t.lit)
	}
}

func (p *selParser) parseIdentifiersList() ([]string, error) {
	var vals []string
	for {
		t := p.next()
		switch t.tok {
		case tokIdent:
			vals = append(vals, t.lit)
			switch n := p.peek(); n.tok {
			case tokComma:
				continue
			case tokClose:
				return vals, nil
			default:
				return nil, fmt.Errorf("found '%s', expected: ',' or ')'", n.lit)
			}
		case tokComma:
			if len(vals) == 0 {
				vals = append(vals, "") // "(,"
			}
			switch n := p.peek(); n.tok {
			case tokClose:
				return append(vals, ""), nil // ",)"
			case tokComma:
				p.next()
				vals = append(vals, "") // ",,"
			}
		default:
			return nil, fmt.Errorf("found '%s', expected: ',', or identifier", t.lit)
		}
	}
}

func (p *selParser) parseExactValue() ([]string, error) {
	if n := p.peek(); n.tok == tokEnd || n.tok == tokComma {
		return []string{""}, nil
	}
	t := p.next()
	if t.tok == tokIdent {
		return []string{t.lit}, nil
	}
	return nil, fmt.Errorf("found '%s', expected: identifier", t.lit)
}

// ---------------------------------------------------------------- node selectors

// nodeFieldName is the only field node selector matchFields support.
const nodeFieldName = "metadata.name"

// Matches reports whether a node's labels satisfy the requirement. In and
// NotIn, Exists and DoesNotExist behave as for label selectors; Gt and Lt
// compare the label, parsed as an integer, with the single value. An
// invalid requirement matches nothing.
func (r NodeSelectorRequirement) Matches(labels map[string]string) bool {
	req, err := r.AsRequirement()
	if err != nil {
		return false
	}
	return req.Matches(labels)
}

// AsRequirement validates the requirement and converts it.
func (r NodeSelectorRequirement) AsRequirement() (Requirement, error) {
	var op SelectorOperator
	switch r.Operator {
	case NodeSelectorOpIn:
		op = SelectorIn
	case NodeSelectorOpNotIn:
		op = SelectorNotIn
	case NodeSelectorOpExists:
		op = SelectorExists
	case NodeSelectorOpDoesNotExist:
		op = SelectorDoesNotExist
	case NodeSelectorOpGt:
		op = SelectorGreaterThan
	case NodeSelectorOpLt:
		op = SelectorLessThan
	default:
		return Requirement{}, fmt.Errorf("%q is not a valid node selector operator", r.Operator)
	}
	return NewRequirement(r.Key, op, r.Values)
}

// Matches reports whether a node matches the term: every expression on its
// labels and every field (only metadata.name, In or NotIn) on nodeName. An
// empty term matches no node, as the scheduler's NodeAffinity does.
func (t NodeSelectorTerm) Matches(nodeLabels map[string]string, nodeName string) bool {
	if len(t.MatchExpressions) == 0 && len(t.MatchFields) == 0 {
		return false
	}
	for _, e := range t.MatchExpressions {
		if !e.Matches(nodeLabels) {
			return false
		}
	}
	for _, f := range t.MatchFields {
		if f.Key != nodeFieldName || len(f.Values) != 1 {
			return false
		}
		if f.Operator != NodeSelectorOpIn && f.Operator != NodeSelectorOpNotIn {
			return false
		}
		if !f.Matches(map[string]string{nodeFieldName: nodeName}) {
			return false
		}
	}
	return true
}

// Matches reports whether any term matches (terms are ORed). A nil
// NodeSelector matches every node; one with no terms matches none.
func (s *NodeSelector) Matches(nodeLabels map[string]string, nodeName string) bool {
	if s == nil {
		return true
	}
	for _, t := range s.NodeSelectorTerms {
		if t.Matches(nodeLabels, nodeName) {
			return true
		}
	}
	return false
}
