package nodeshell

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/kubesim/kubesim/sim/cluster"
)

// sed is GNU sed's substitute command, what incident response uses it for:
//
//	sed [-n] [-i] [-E|-r] [-e] 's/RE/REPLACEMENT/[g][p][I]' [FILE...]
//
// several expressions with -e, any delimiter after s, & and \1..\9 in the
// replacement; -i rewrites each file in place (through the node's init
// system: an input of the run). Other sed commands are refused with
// GNU sed's error. Basic regular expressions are read as Go's RE2 with
// BRE's \( \) \{ \} \+ \? \| turned into their ERE forms.
func (sh *shell) sed(args []string, stdin string, piped bool) Result {
	var scripts, files []string
	inPlace, quiet, extended := false, false, false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-i" || a == "--in-place":
			inPlace = true
		case a == "-n" || a == "--quiet" || a == "--silent":
			quiet = true
		case a == "-E" || a == "-r" || a == "--regexp-extended":
			extended = true
		case a == "-e" || a == "--expression":
			if i+1 >= len(args) {
				return fail(1, "sed: option requires an argument -- 'e'")
			}
			i++
			scripts = append(scripts, args[i])
		case strings.HasPrefix(a, "-") && len(a) > 1 && !strings.HasPrefix(a, "--"):
			for _, f := range a[1:] {
				switch f {
				case 'i':
					inPlace = true
				case 'n':
					quiet = true
				case 'E', 'r':
					extended = true
				default:
					return fail(1, "sed: invalid option -- '%c'\nUsage: sed [OPTION]... {script-only-if-no-other-script} [input-file]...", f)
				}
			}
		default:
			if len(scripts) == 0 {
				scripts = append(scripts, a)
			} else {
				files = append(files, a)
			}
		}
	}
	if len(scripts) == 0 {
		return fail(1, "Usage: sed [OPTION]... {script-only-if-no-other-script} [input-file]...")
	}
	var subs []substitution
	for _, s := range scripts {
		sub, err := parseSubstitution(s, extended)
		if err != nil {
			return fail(1, "sed: -e expression #1, char %d: %s", err.char, err.msg)
		}
		subs = append(subs, sub)
	}
	if len(files) == 0 {
		if inPlace {
			return fail(1, "sed: no input files")
		}
		return ok(runSed(subs, stdin, quiet))
	}
	d := sh.fs()
	var out strings.Builder
	var res Result
	for _, f := range sh.globAll(files) {
		p := abs(sh.cwd, f)
		data, err := d.ReadFile(p)
		if err != nil {
			res.Stderr += fmt.Sprintf("sed: can't read %s: No such file or directory\n", f)
			res.Code = 2
			continue
		}
		text := runSed(subs, string(data), quiet)
		if !inPlace {
			out.WriteString(text)
			continue
		}
		if text == string(data) {
			continue
		}
		r := sh.change("sed", cluster.NodeCommand{Op: cluster.OpWrite, Path: p, Data: []byte(text)})
		res.Stderr += r.Stderr
		if r.Code != 0 {
			res.Code = r.Code
		}
	}
	res.Stdout = out.String()
	return res
}

type substitution struct {
	re          *regexp.Regexp
	repl        string
	global, prt bool
}

type sedError struct {
	char int
	msg  string
}

// parseSubstitution reads s/RE/REPL/FLAGS.
func parseSubstitution(script string, extended bool) (substitution, *sedError) {
	s := strings.TrimSpace(script)
	if s == "" || s[0] != 's' {
		if s == "" {
			return substitution{}, &sedError{1, "missing command"}
		}
		return substitution{}, &sedError{1, fmt.Sprintf("unknown command: `%c'", s[0])}
	}
	if len(s) < 2 {
		return substitution{}, &sedError{1, "unterminated `s' command"}
	}
	delim := s[1]
	var parts []string
	var cur strings.Builder
	i := 2
	for ; i < len(s) && len(parts) < 2; i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			if s[i+1] == delim {
				cur.WriteByte(delim)
			} else {
				cur.WriteByte(c)
				cur.WriteByte(s[i+1])
			}
			i++
			continue
		}
		if c == delim {
			parts = append(parts, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteByte(c)
	}
	if len(parts) < 2 {
		return substitution{}, &sedError{len(s), "unterminated `s' command"}
	}
	sub := substitution{}
	pattern := parts[0]
	if !extended {
		pattern = breToERE(pattern)
	}
	for _, f := range s[i:] {
		switch f {
		case 'g':
			sub.global = true
		case 'p':
			sub.prt = true
		case 'I', 'i':
			pattern = "(?i)" + pattern
		default:
			return substitution{}, &sedError{len(s), "unknown option to `s'"}
		}
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return substitution{}, &sedError{len(s), "Invalid regular expression"}
	}
	sub.re = re
	sub.repl = sedReplacement(parts[1])
	return sub, nil
}

// breToERE turns a basic regular expression into an extended one.
func breToERE(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '\\' && i+1 < len(p) {
			n := p[i+1]
			switch n {
			case '(', ')', '{', '}', '+', '?', '|':
				b.WriteByte(n)
			default:
				b.WriteByte(c)
				b.WriteByte(n)
			}
			i++
			continue
		}
		switch c {
		case '(', ')', '{', '}', '+', '?', '|':
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return b.String()
}

// sedReplacement turns sed's & and \N into Go's ${0} and ${N}.
func sedReplacement(r string) string {
	var b strings.Builder
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch {
		case c == '\\' && i+1 < len(r):
			n := r[i+1]
			switch {
			case n >= '0' && n <= '9':
				b.WriteString("${" + string(n) + "}")
			case n == 'n':
				b.WriteByte('\n')
			case n == '&':
				b.WriteByte('&')
			default:
				b.WriteByte(n)
			}
			i++
		case c == '&':
			b.WriteString("${0}")
		case c == '$':
			b.WriteString("$$")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func runSed(subs []substitution, text string, quiet bool) string {
	trailing := strings.HasSuffix(text, "\n")
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if text == "" {
		lines = nil
	}
	var out strings.Builder
	for _, l := range lines {
		for _, s := range subs {
			if !s.re.MatchString(l) {
				continue
			}
			if s.global {
				l = s.re.ReplaceAllString(l, s.repl)
			} else {
				loc := s.re.FindStringSubmatchIndex(l)
				var dst []byte
				dst = s.re.ExpandString(dst, s.repl, l, loc)
				l = l[:loc[0]] + string(dst) + l[loc[1]:]
			}
			if s.prt {
				out.WriteString(l + "\n")
			}
		}
		if !quiet {
			out.WriteString(l + "\n")
		}
	}
	res := out.String()
	if !trailing && strings.HasSuffix(res, "\n") && len(lines) > 0 && !quiet {
		res = strings.TrimSuffix(res, "\n")
	}
	return res
}
