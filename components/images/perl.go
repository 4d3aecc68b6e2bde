package images

import (
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// bpiRe finds bignum's bpi(N) in a perl one-liner, as in the upstream Job
// example: perl -Mbignum=bpi -wle 'print bpi(2000)'.
var bpiRe = regexp.MustCompile(`print\s+bpi\(\s*(\d+)\s*\)`)

// perl runs a one-liner: printing bpi(N) prints N digits of pi after a
// second per thousand digits (at least one); any other script, and the
// image's default "perl -de0" without a terminal, exits 0 at once.
// kubesim does not interpret Perl beyond that.
func (r *runner) perl(args []string) {
	script := strings.Join(args, " ")
	if m := bpiRe.FindStringSubmatch(script); m != nil {
		n, err := strconv.Atoi(m[1])
		if err == nil && n > 0 && n <= 100000 {
			r.t += time.Duration(max(1000, n)) * time.Millisecond
			r.say(piDigits(n))
		}
	}
	r.exit(0)
}

// piDigits is pi to n significant digits ("3.14" for 3), truncated, by
// Machin's formula in fixed point.
func piDigits(n int) string {
	guard := 10
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n+guard)), nil)
	arctan := func(x int64) *big.Int {
		sum := new(big.Int)
		term := new(big.Int).Div(scale, big.NewInt(x))
		x2 := big.NewInt(x * x)
		for k := int64(0); term.Sign() != 0; k++ {
			t := new(big.Int).Div(term, big.NewInt(2*k+1))
			if k%2 == 0 {
				sum.Add(sum, t)
			} else {
				sum.Sub(sum, t)
			}
			term.Div(term, x2)
		}
		return sum
	}
	pi := new(big.Int).Mul(arctan(5), big.NewInt(16))
	pi.Sub(pi, new(big.Int).Mul(arctan(239), big.NewInt(4)))
	s := pi.String()[:n]
	if n == 1 {
		return s
	}
	return s[:1] + "." + s[1:]
}
