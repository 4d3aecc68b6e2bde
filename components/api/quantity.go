package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// QuantityFormat is the notation a Quantity was written in; String keeps it.
type QuantityFormat string

// Quantity formats, as resource.Format.
const (
	// DecimalSI is "12M", "500m", "3": powers of 1000.
	DecimalSI QuantityFormat = "DecimalSI"
	// BinarySI is "12Mi", "1Gi": powers of 1024.
	BinarySI QuantityFormat = "BinarySI"
	// DecimalExponent is "12e6", "1e3".
	DecimalExponent QuantityFormat = "DecimalExponent"
)

// Errors of ParseQuantity, with resource.ParseQuantity's texts.
var (
	ErrQuantityFormat  = errors.New("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
	ErrQuantitySuffix  = errors.New("unable to parse quantity's suffix")
	ErrQuantityNumeric = errors.New("unable to parse numeric part of quantity")
)

// Quantity is a fixed-point number as resource.Quantity: cpu "100m", memory
// "512Mi", "1e3". The value is mant × 10^scale, exact to the nanounit
// (values finer than 1n round up, as Kubernetes does). The zero Quantity is
// 0. Quantity is a plain value: copying it copies the number.
type Quantity struct {
	mant   int64
	scale  int32
	format QuantityFormat
}

// minQuantityScale is nano: Kubernetes keeps no finer precision.
const minQuantityScale = -9

// ParseQuantity parses the canonical or any accepted spelling of a quantity.
func ParseQuantity(s string) (Quantity, error) {
	if len(s) == 0 {
		return Quantity{}, ErrQuantityFormat
	}
	if s == "0" {
		return Quantity{format: DecimalSI}, nil
	}
	neg := false
	i := 0
	switch s[0] {
	case '-':
		neg = true
		i++
	case '+':
		i++
	}
	// Numeric part: digits with at most one '.'.
	start := i
	var intDigits, fracDigits strings.Builder
	seenDot := false
	for ; i < len(s); i++ {
		c := s[i]
		if c == '.' {
			if seenDot {
				return Quantity{}, ErrQuantityFormat
			}
			seenDot = true
			continue
		}
		if c < '0' || c > '9' {
			break
		}
		if seenDot {
			fracDigits.WriteByte(c)
		} else {
			intDigits.WriteByte(c)
		}
	}
	if i == start || intDigits.Len()+fracDigits.Len() == 0 {
		return Quantity{}, ErrQuantityFormat
	}
	suffix := s[i:]
	if !validSuffixShape(suffix) {
		return Quantity{}, ErrQuantityFormat
	}
	base, exp, format, ok := interpretSuffix(suffix)
	if !ok {
		return Quantity{}, ErrQuantitySuffix
	}

	digits := intDigits.String() + fracDigits.String()
	mant, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		return Quantity{}, ErrQuantityNumeric
	}
	if neg {
		mant.Neg(mant)
	}
	scale := -int64(fracDigits.Len())
	if base == 2 {
		// Multiply by 2^exp exactly, then express at the decimal scale.
		mant.Lsh(mant, uint(exp))
	} else {
		scale += int64(exp)
	}
	q, err := quantityFromBig(mant, scale)
	if err != nil {
		return Quantity{}, err
	}
	q.format = format
	return q, nil
}

// MustParseQuantity is ParseQuantity for constants in code and tests; it
// panics on invalid input.
func MustParseQuantity(s string) Quantity {
	q, err := ParseQuantity(s)
	if err != nil {
		panic(fmt.Sprintf("cannot parse %q: %v", s, err))
	}
	return q
}

// validSuffixShape checks the suffix against [eEinumkKMGTP]*[-+]?[0-9]*.
func validSuffixShape(s string) bool {
	i := 0
	for i < len(s) && strings.IndexByte("eEinumkKMGTP", s[i]) >= 0 {
		i++
	}
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i == len(s)
}

// interpretSuffix maps a suffix to base^exp and its format.
func interpretSuffix(s string) (base int, exp int, format QuantityFormat, ok bool) {
	switch s {
	case "":
		return 10, 0, DecimalSI, true
	case "n":
		return 10, -9, DecimalSI, true
	case "u":
		return 10, -6, DecimalSI, true
	case "m":
		return 10, -3, DecimalSI, true
	case "k":
		return 10, 3, DecimalSI, true
	case "M":
		return 10, 6, DecimalSI, true
	case "G":
		return 10, 9, DecimalSI, true
	case "T":
		return 10, 12, DecimalSI, true
	case "P":
		return 10, 15, DecimalSI, true
	case "E":
		return 10, 18, DecimalSI, true
	case "Ki":
		return 2, 10, BinarySI, true
	case "Mi":
		return 2, 20, BinarySI, true
	case "Gi":
		return 2, 30, BinarySI, true
	case "Ti":
		return 2, 40, BinarySI, true
	case "Pi":
		return 2, 50, BinarySI, true
	case "Ei":
		return 2, 60, BinarySI, true
	}
	if len(s) > 1 && (s[0] == 'e' || s[0] == 'E') {
		e, err := strconv.ParseInt(s[1:], 10, 32)
		if err != nil || e > 1000 || e < -1000 {
			return 0, 0, "", false
		}
		return 10, int(e), DecimalExponent, true
	}
	return 0, 0, "", false
}

var (
	bigTen      = big.NewInt(10)
	bigMaxInt64 = big.NewInt(math.MaxInt64)
	bigMinInt64 = big.NewInt(math.MinInt64)
)

// quantityFromBig normalizes mant × 10^scale into a Quantity: it rounds
// away from zero to nano precision, strips trailing zeros and checks the
// mantissa fits int64.
func quantityFromBig(mant *big.Int, scale int64) (Quantity, error) {
	m := new(big.Int).Set(mant)
	if scale < minQuantityScale {
		div := new(big.Int).Exp(bigTen, big.NewInt(minQuantityScale-scale), nil)
		quo, rem := new(big.Int).QuoRem(m, div, new(big.Int))
		if rem.Sign() > 0 {
			quo.Add(quo, big.NewInt(1))
		} else if rem.Sign() < 0 {
			quo.Sub(quo, big.NewInt(1))
		}
		m = quo
		scale = minQuantityScale
	}
	if m.Sign() == 0 {
		return Quantity{}, nil
	}
	r := new(big.Int)
	for {
		q, rem := new(big.Int).QuoRem(m, bigTen, r)
		if rem.Sign() != 0 {
			break
		}
		m = q
		scale++
	}
	if m.Cmp(bigMaxInt64) > 0 || m.Cmp(bigMinInt64) < 0 || scale > 1<<20 {
		return Quantity{}, fmt.Errorf("quantity is too large")
	}
	return Quantity{mant: m.Int64(), scale: int32(scale)}, nil
}

func (q Quantity) big() (*big.Int, int64) { return big.NewInt(q.mant), int64(q.scale) }

// NewQuantity returns value in format (DecimalSI or BinarySI).
func NewQuantity(value int64, format QuantityFormat) Quantity {
	q, _ := quantityFromBig(big.NewInt(value), 0)
	q.format = format
	return q
}

// NewMilliQuantity returns milli/1000 in format, e.g. NewMilliQuantity(250,
// DecimalSI) is "250m".
func NewMilliQuantity(milli int64, format QuantityFormat) Quantity {
	q, _ := quantityFromBig(big.NewInt(milli), -3)
	q.format = format
	return q
}

// Format returns the notation the quantity prints in.
func (q Quantity) Format() QuantityFormat {
	if q.format == "" {
		return DecimalSI
	}
	return q.format
}

// IsZero reports whether the value is 0.
func (q Quantity) IsZero() bool { return q.mant == 0 }

// Sign returns -1, 0 or +1.
func (q Quantity) Sign() int {
	switch {
	case q.mant < 0:
		return -1
	case q.mant > 0:
		return 1
	}
	return 0
}

// scaledCeil returns ceil(q / 10^scale) saturated to int64, as
// resource.Quantity.ScaledValue rounds up.
func (q Quantity) scaledCeil(scale int32) int64 {
	if q.mant == 0 {
		return 0
	}
	d := int64(q.scale) - int64(scale)
	if d >= 0 {
		v := q.mant
		for ; d > 0; d-- {
			if v > math.MaxInt64/10 {
				return math.MaxInt64
			}
			if v < math.MinInt64/10 {
				return math.MinInt64
			}
			v *= 10
		}
		return v
	}
	if d < -19 {
		if q.mant > 0 {
			return 1
		}
		return 0
	}
	div := int64(1)
	for ; d < 0; d++ {
		div *= 10
	}
	v := q.mant / div
	if q.mant%div != 0 && q.mant > 0 {
		v++
	}
	return v
}

// Value returns the value rounded up to an integer (saturating at int64).
func (q Quantity) Value() int64 { return q.scaledCeil(0) }

// MilliValue returns the value in thousandths, rounded up: "100m" is 100,
// "2" is 2000.
func (q Quantity) MilliValue() int64 { return q.scaledCeil(-3) }

// ScaledValue returns ceil(q / 10^scale).
func (q Quantity) ScaledValue(scale int32) int64 { return q.scaledCeil(scale) }

// AsApproximateFloat64 returns the value as a float64.
func (q Quantity) AsApproximateFloat64() float64 {
	return float64(q.mant) * math.Pow10(int(q.scale))
}

// align returns both mantissas at the smaller scale, or ok=false on
// overflow.
func align(a, b Quantity) (am, bm int64, scale int32, ok bool) {
	am, bm = a.mant, b.mant
	switch {
	case a.mant == 0:
		return 0, bm, b.scale, true
	case b.mant == 0:
		return am, 0, a.scale, true
	case a.scale == b.scale:
		return am, bm, a.scale, true
	case a.scale > b.scale:
		am, ok = mulPow10(am, a.scale-b.scale)
		return am, bm, b.scale, ok
	default:
		bm, ok = mulPow10(bm, b.scale-a.scale)
		return am, bm, a.scale, ok
	}
}

func mulPow10(v int64, n int32) (int64, bool) {
	for ; n > 0; n-- {
		if v > math.MaxInt64/10 || v < math.MinInt64/10 {
			return 0, false
		}
		v *= 10
	}
	return v, true
}

func bigValue(q Quantity) *big.Rat {
	m, s := q.big()
	r := new(big.Rat).SetInt(m)
	p := new(big.Int).Exp(bigTen, big.NewInt(abs64(s)), nil)
	if s >= 0 {
		return r.Mul(r, new(big.Rat).SetInt(p))
	}
	return r.Quo(r, new(big.Rat).SetInt(p))
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// Cmp returns -1, 0 or +1 as q is less than, equal to or greater than y.
func (q Quantity) Cmp(y Quantity) int {
	am, bm, _, ok := align(q, y)
	if !ok {
		return bigValue(q).Cmp(bigValue(y))
	}
	switch {
	case am < bm:
		return -1
	case am > bm:
		return 1
	}
	return 0
}

// CmpInt64 compares q with an integer.
func (q Quantity) CmpInt64(y int64) int { return q.Cmp(NewQuantity(y, DecimalSI)) }

// Equal reports whether the values are equal, whatever their formats.
func (q Quantity) Equal(y Quantity) bool { return q.Cmp(y) == 0 }

// Add returns q + y. The result keeps q's format (y's when q is the zero
// Quantity), as resource.Quantity.Add does.
func (q Quantity) Add(y Quantity) Quantity { return q.addSub(y, false) }

// Sub returns q - y, keeping q's format.
func (q Quantity) Sub(y Quantity) Quantity { return q.addSub(y, true) }

func (q Quantity) addSub(y Quantity, sub bool) Quantity {
	format := q.format
	if q.mant == 0 && format == "" {
		format = y.format
	}
	ym := y.mant
	if sub {
		if ym == math.MinInt64 {
			return q.addSubBig(y, sub, format)
		}
		ym = -ym
	}
	am, bm, scale, ok := align(q, Quantity{mant: ym, scale: y.scale})
	if ok {
		s := am + bm
		if (s > am) == (bm > 0) {
			r, _ := quantityFromBig(big.NewInt(s), int64(scale))
			r.format = format
			return r
		}
	}
	return q.addSubBig(y, sub, format)
}

func (q Quantity) addSubBig(y Quantity, sub bool, format QuantityFormat) Quantity {
	scale := min(q.scale, y.scale)
	qm, _ := q.big()
	ym, _ := y.big()
	qm.Mul(qm, new(big.Int).Exp(bigTen, big.NewInt(int64(q.scale-scale)), nil))
	ym.Mul(ym, new(big.Int).Exp(bigTen, big.NewInt(int64(y.scale-scale)), nil))
	if sub {
		qm.Sub(qm, ym)
	} else {
		qm.Add(qm, ym)
	}
	r, err := quantityFromBig(qm, int64(scale))
	if err != nil {
		// Saturate rather than wrap: beyond int64 mantissas nothing in a
		// simulated cluster is meaningful anyway.
		if qm.Sign() > 0 {
			r = Quantity{mant: math.MaxInt64}
		} else {
			r = Quantity{mant: math.MinInt64}
		}
	}
	r.format = format
	return r
}

// Neg returns -q.
func (q Quantity) Neg() Quantity {
	return Quantity{format: q.format}.Sub(q)
}

// MulInt64 returns q × n, keeping q's format.
func (q Quantity) MulInt64(n int64) Quantity {
	m, s := q.big()
	m.Mul(m, big.NewInt(n))
	r, err := quantityFromBig(m, s)
	if err != nil {
		if m.Sign() > 0 {
			r = Quantity{mant: math.MaxInt64}
		} else {
			r = Quantity{mant: math.MinInt64}
		}
	}
	r.format = q.format
	return r
}

// String returns the canonical form Kubernetes serializes: the largest
// suffix that keeps the number an integer ("1000m" -> "1", "0.5" -> "500m",
// "1024Mi" -> "1Gi", "1536Mi" stays "1536Mi"). BinarySI values below 1024 or
// with a fractional part print in DecimalSI.
func (q Quantity) String() string {
	if q.mant == 0 {
		return "0"
	}
	format := q.Format()
	if format == BinarySI {
		if q.CmpInt64(-1024) > 0 && q.CmpInt64(1024) < 0 || q.scale < 0 {
			format = DecimalSI
		}
	}
	if format == BinarySI {
		v, ok := mulPow10(q.mant, q.scale)
		if !ok {
			format = DecimalSI
		} else {
			exp := 0
			for exp < 60 && v%1024 == 0 {
				v /= 1024
				exp += 10
			}
			return strconv.FormatInt(v, 10) + binarySuffix(exp)
		}
	}
	// Decimal: exponent made a multiple of 3 by growing the mantissa.
	mant, exp := q.mant, q.scale
	switch ((exp % 3) + 3) % 3 {
	case 1:
		if m, ok := mulPow10(mant, 1); ok {
			mant, exp = m, exp-1
		} else {
			return q.exponentString()
		}
	case 2:
		if m, ok := mulPow10(mant, 2); ok {
			mant, exp = m, exp-2
		} else {
			return q.exponentString()
		}
	}
	num := strconv.FormatInt(mant, 10)
	if format == DecimalExponent {
		if exp == 0 {
			return num
		}
		return num + "e" + strconv.Itoa(int(exp))
	}
	if s, ok := decimalSuffix(exp); ok {
		return num + s
	}
	return num + "e" + strconv.Itoa(int(exp))
}

func (q Quantity) exponentString() string {
	return strconv.FormatInt(q.mant, 10) + "e" + strconv.Itoa(int(q.scale))
}

func binarySuffix(exp int) string {
	switch exp {
	case 10:
		return "Ki"
	case 20:
		return "Mi"
	case 30:
		return "Gi"
	case 40:
		return "Ti"
	case 50:
		return "Pi"
	case 60:
		return "Ei"
	}
	return ""
}

func decimalSuffix(exp int32) (string, bool) {
	switch exp {
	case -9:
		return "n", true
	case -6:
		return "u", true
	case -3:
		return "m", true
	case 0:
		return "", true
	case 3:
		return "k", true
	case 6:
		return "M", true
	case 9:
		return "G", true
	case 12:
		return "T", true
	case 15:
		return "P", true
	case 18:
		return "E", true
	}
	return "", false
}

// MarshalJSON writes the canonical string.
func (q Quantity) MarshalJSON() ([]byte, error) {
	return []byte(`"` + q.String() + `"`), nil
}

// UnmarshalJSON accepts a string or a bare JSON number, as Kubernetes does.
func (q *Quantity) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		*q = Quantity{}
		return nil
	}
	if len(s) >= 2 && s[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	p, err := ParseQuantity(strings.TrimSpace(s))
	if err != nil {
		return err
	}
	*q = p
	return nil
}

// UnmarshalText parses s as ParseQuantity does.
func (q *Quantity) UnmarshalText(b []byte) error {
	p, err := ParseQuantity(string(b))
	if err != nil {
		return err
	}
	*q = p
	return nil
}

// ResourceName names a compute resource ("cpu", "memory", ...).
type ResourceName string

// Resource names.
const (
	ResourceCPU              ResourceName = "cpu"
	ResourceMemory           ResourceName = "memory"
	ResourcePods             ResourceName = "pods"
	ResourceEphemeralStorage ResourceName = "ephemeral-storage"
	ResourceStorage          ResourceName = "storage"
)

// ResourceList maps resource names to quantities (requests, limits,
// capacity, allocatable).
type ResourceList map[ResourceName]Quantity

// Cpu returns the "cpu" quantity (zero if absent).
func (rl ResourceList) Cpu() Quantity { return rl[ResourceCPU] }

// Memory returns the "memory" quantity (zero if absent).
func (rl ResourceList) Memory() Quantity { return rl[ResourceMemory] }

// Pods returns the "pods" quantity (zero if absent).
func (rl ResourceList) Pods() Quantity { return rl[ResourcePods] }

// IntOrStringType says which member of an IntOrString is set.
type IntOrStringType int

// IntOrString kinds.
const (
	IntOrStringInt IntOrStringType = iota
	IntOrStringString
)

// IntOrString holds an int32 or a string, serialized as a bare JSON number or
// a JSON string (targetPort, maxSurge, maxUnavailable, NetworkPolicy port).
type IntOrString struct {
	Type   IntOrStringType
	IntVal int32
	StrVal string
}

// FromInt32 returns an IntOrString holding v.
func FromInt32(v int32) IntOrString { return IntOrString{Type: IntOrStringInt, IntVal: v} }

// FromString returns an IntOrString holding s.
func FromString(s string) IntOrString { return IntOrString{Type: IntOrStringString, StrVal: s} }

// IntOrStringPtr returns a pointer to v, for optional fields.
func IntOrStringPtr(v IntOrString) *IntOrString { return &v }

// String returns the string, or the integer in decimal.
func (v IntOrString) String() string {
	if v.Type == IntOrStringString {
		return v.StrVal
	}
	return strconv.Itoa(int(v.IntVal))
}

// IntValue returns the integer, or the string parsed as an integer (0 if it
// is not one).
func (v IntOrString) IntValue() int {
	if v.Type == IntOrStringString {
		i, _ := strconv.Atoi(v.StrVal)
		return i
	}
	return int(v.IntVal)
}

// MarshalJSON writes a number or a string.
func (v IntOrString) MarshalJSON() ([]byte, error) {
	if v.Type == IntOrStringString {
		return json.Marshal(v.StrVal)
	}
	return json.Marshal(v.IntVal)
}

// UnmarshalJSON reads a number or a string.
func (v *IntOrString) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		v.Type = IntOrStringString
		v.IntVal = 0
		return json.Unmarshal(b, &v.StrVal)
	}
	var i int32
	if err := json.Unmarshal(b, &i); err != nil {
		return fmt.Errorf("expected an integer or a string, got %s", b)
	}
	*v = FromInt32(i)
	return nil
}

// ScaledValue resolves v against total: an integer is returned as is; a
// percentage "25%" is total×25/100 rounded up or down. It mirrors
// intstr.GetScaledValueFromIntOrPercent, errors included.
func (v IntOrString) ScaledValue(total int, roundUp bool) (int, error) {
	if v.Type == IntOrStringInt {
		return int(v.IntVal), nil
	}
	s := v.StrVal
	if !strings.HasSuffix(s, "%") {
		return 0, fmt.Errorf("invalid value for IntOrString: invalid type: string is not a percentage")
	}
	p, err := strconv.Atoi(strings.TrimSuffix(s, "%"))
	if err != nil {
		return 0, fmt.Errorf("invalid value for IntOrString: invalid value %q: %v", s, err)
	}
	if roundUp {
		return int(math.Ceil(float64(p) * float64(total) / 100)), nil
	}
	return int(math.Floor(float64(p) * float64(total) / 100)), nil
}

// ScaledValueFromIntOrPercent resolves v (nil is an error) against total.
func ScaledValueFromIntOrPercent(v *IntOrString, total int, roundUp bool) (int, error) {
	if v == nil {
		return 0, errors.New("nil value for IntOrString")
	}
	return v.ScaledValue(total, roundUp)
}
