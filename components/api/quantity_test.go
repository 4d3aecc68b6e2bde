package api

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func TestParseQuantity(t *testing.T) {
	tests := []struct {
		in         string
		wantString string
		wantMilli  int64
		wantValue  int64
	}{
		{"0", "0", 0, 0},
		{"100m", "100m", 100, 1},
		{"1000m", "1", 1000, 1},
		{"1500m", "1500m", 1500, 2},
		{"0.5", "500m", 500, 1},
		{"0.1", "100m", 100, 1},
		{"2", "2", 2000, 2},
		{"+2", "2", 2000, 2},
		{"-1.5", "-1500m", -1500, -1},
		{"1000", "1k", 1000000, 1000},
		{"1k", "1k", 1000000, 1000},
		{"1M", "1M", 1000000000, 1000000},
		{"1G", "1G", 1000000000000, 1000000000},
		{"1e3", "1e3", 1000000, 1000},
		{"1E3", "1e3", 1000000, 1000},
		{"1.5e3", "1500", 1500000, 1500},
		{"12e6", "12e6", 12000000000, 12000000},
		{"1Ki", "1Ki", 1024000, 1024},
		{"512Mi", "512Mi", 536870912000, 536870912},
		{"1024Mi", "1Gi", 1073741824000, 1073741824},
		{"1536Mi", "1536Mi", 1610612736000, 1610612736},
		{"1.5Gi", "1536Mi", 1610612736000, 1610612736},
		{"0.5Gi", "512Mi", 536870912000, 536870912},
		{"1.5Ki", "1536", 1536000, 1536},
		{"100Ki", "100Ki", 102400000, 102400},
		{"1n", "1n", 1, 1},
		{"1u", "1u", 1, 1},
		{"0.0000000001", "1n", 1, 1},
		{"110", "110", 110000, 110},
		{"1.", "1", 1000, 1},
		{".5", "500m", 500, 1},
		{"1Ei", "1Ei", 9223372036854775807, 1152921504606846976},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			q, err := ParseQuantity(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.wantString, q.String())
			assert.Equal(t, tt.wantMilli, q.MilliValue())
			assert.Equal(t, tt.wantValue, q.Value())
			// The canonical form parses back to an equal quantity.
			again, err := ParseQuantity(q.String())
			require.NoError(t, err)
			assert.True(t, q.Equal(again))
			assert.Equal(t, q.String(), again.String())
		})
	}
}

func TestParseQuantityErrors(t *testing.T) {
	tests := []struct {
		in      string
		wantErr error
	}{
		{"", ErrQuantityFormat},
		{"abc", ErrQuantityFormat},
		{"1..2", ErrQuantityFormat},
		{"1 Gi", ErrQuantityFormat},
		{"1KiB", ErrQuantityFormat},
		{"-", ErrQuantityFormat},
		{".", ErrQuantityFormat},
		{"1K", ErrQuantitySuffix},
		{"1e", ErrQuantitySuffix},
		{"1mi", ErrQuantitySuffix},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseQuantity(tt.in)
			assert.Equal(t, tt.wantErr, err)
		})
	}
	assert.Equal(t, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'", ErrQuantityFormat.Error())
}

func TestQuantityArithmetic(t *testing.T) {
	q := MustParseQuantity
	assert.Equal(t, "1100m", q("1").Add(q("100m")).String())
	assert.Equal(t, "900m", q("1").Sub(q("100m")).String())
	assert.Equal(t, "1536Mi", q("1Gi").Add(q("512Mi")).String())
	assert.Equal(t, "2Gi", q("1Gi").Add(q("1Gi")).String())
	assert.Equal(t, "100m", Quantity{}.Add(q("100m")).String(), "zero takes the other's format")
	assert.Equal(t, "-100m", q("100m").Neg().String())
	assert.Equal(t, "300m", q("100m").MulInt64(3).String())
	assert.Equal(t, -1, q("100m").Cmp(q("0.2")))
	assert.Equal(t, 0, q("1000m").Cmp(q("1")))
	assert.Equal(t, 1, q("1Ki").Cmp(q("1k")))
	assert.Equal(t, 1, q("1E").Cmp(q("1n")), "far-apart scales compare exactly")
	assert.Equal(t, 0, q("0").Cmp(Quantity{}))
	assert.True(t, q("1Gi").Equal(q("1073741824")))
	assert.Equal(t, 1, q("2").CmpInt64(1))
}

func TestQuantityJSON(t *testing.T) {
	var rl ResourceList
	require.NoError(t, json.Unmarshal([]byte(`{"cpu":"1000m","memory":"1024Mi","pods":110}`), &rl))
	b, err := json.Marshal(rl)
	require.NoError(t, err)
	assert.Equal(t, `{"cpu":"1","memory":"1Gi","pods":"110"}`, string(b))
	err = json.Unmarshal([]byte(`{"cpu":"lots"}`), &rl)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "quantities must match the regular expression")
}

// Property: parsing the canonical form of any milli value gives it back,
// and Add/Sub agree with integer arithmetic.
func TestQuantityProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := rapid.Int64Range(-1e12, 1e12).Draw(t, "a")
		b := rapid.Int64Range(-1e12, 1e12).Draw(t, "b")
		qa, qb := NewMilliQuantity(a, DecimalSI), NewMilliQuantity(b, DecimalSI)
		back, err := ParseQuantity(qa.String())
		if err != nil || back.MilliValue() != a {
			t.Fatalf("%d -> %q -> %v %v", a, qa.String(), back.MilliValue(), err)
		}
		if got := qa.Add(qb).MilliValue(); got != a+b {
			t.Fatalf("%d + %d = %d", a, b, got)
		}
		if got := qa.Sub(qb).MilliValue(); got != a-b {
			t.Fatalf("%d - %d = %d", a, b, got)
		}
		wantCmp := 0
		if a < b {
			wantCmp = -1
		} else if a > b {
			wantCmp = 1
		}
		if qa.Cmp(qb) != wantCmp {
			t.Fatalf("cmp(%d, %d) = %d", a, b, qa.Cmp(qb))
		}
		bin := NewQuantity(a*1024, BinarySI)
		back, err = ParseQuantity(bin.String())
		if err != nil || back.Value() != a*1024 {
			t.Fatalf("%d -> %q -> %v %v", a*1024, bin.String(), back.Value(), err)
		}
	})
}

func TestIntOrString(t *testing.T) {
	var v struct {
		A IntOrString `json:"a"`
		B IntOrString `json:"b"`
	}
	require.NoError(t, json.Unmarshal([]byte(`{"a":8080,"b":"http"}`), &v))
	assert.Equal(t, FromInt32(8080), v.A)
	assert.Equal(t, FromString("http"), v.B)
	b, _ := json.Marshal(v)
	assert.Equal(t, `{"a":8080,"b":"http"}`, string(b))

	tests := []struct {
		v       IntOrString
		total   int
		roundUp bool
		want    int
		wantErr string
	}{
		{FromString("25%"), 10, true, 3, ""},
		{FromString("25%"), 10, false, 2, ""},
		{FromString("25%"), 4, false, 1, ""},
		{FromString("0%"), 10, true, 0, ""},
		{FromInt32(2), 10, true, 2, ""},
		{FromString("2"), 10, true, 0, "invalid value for IntOrString: invalid type: string is not a percentage"},
		{FromString("x%"), 10, true, 0, `invalid value for IntOrString: invalid value "x%": strconv.Atoi: parsing "x": invalid syntax`},
	}
	for _, tt := range tests {
		got, err := tt.v.ScaledValue(tt.total, tt.roundUp)
		if tt.wantErr != "" {
			require.Error(t, err)
			assert.Equal(t, tt.wantErr, err.Error())
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, tt.want, got, "%v of %d", tt.v, tt.total)
	}
}
