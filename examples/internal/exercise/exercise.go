// Package exercise is the small harness the exercises under examples/
// share: every grading test runs its grader through Grade, which decides
// whether the grader grades the learner's code or checks itself.
//
//   - Built with -tags solution (the reference solutions), Grade runs the
//     grader: it must pass.
//   - Built without (the learner's stub), once the learner has edited the
//     stub file, or when KUBESIM_GRADE is set, Grade runs the grader: it
//     passes when the exercise is solved.
//   - On the untouched stub, Grade runs the grader against it with a
//     recording testing.TB (simtest.Capture). A learner's plain `go test`
//     then fails, with what to implement (read from the stub file: its
//     declarations, their doc comments and TODOs) and what the grader
//     saw. With KUBESIM_CHECK_STUBS set, as `make test` sets it, the test
//     instead passes when the grader fails the stub — and fails when it
//     does not, since a grader that passes the stub grades nothing — so
//     the repository's own run proves, every time, that each grader
//     rejects its stub.
//
// `make test` also runs `go test -tags solution ./examples/...`, which
// proves the other half: every reference solution passes its grader.
package exercise

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"
	"unicode"

	"github.com/kubesim/kubesim/sim/simtest"
)

// EnvGrade, when set to anything but "", makes Grade grade an untouched
// stub as it would grade an edited one.
const EnvGrade = "KUBESIM_GRADE"

// EnvCheckStubs, when set to anything but "", makes Grade check that the
// grader fails an untouched stub, and pass if it does (`make test`).
const EnvCheckStubs = "KUBESIM_CHECK_STUBS"

// Grade runs grader for t. stubFile is the learner's file (relative to
// the package directory, where go test runs) and pristine the sha256 of
// its text as shipped (carriage returns removed, so a Windows checkout
// hashes the same).
func Grade(t *testing.T, stubFile, pristine string, grader func(t testing.TB)) {
	t.Helper()
	if Solution || os.Getenv(EnvGrade) != "" {
		grader(t)
		return
	}
	sum, err := Hash(stubFile)
	if err != nil || sum != pristine {
		if err != nil {
			t.Logf("cannot read %s (%v): grading", stubFile, err)
		}
		grader(t)
		return
	}
	rec := simtest.Capture(t.Name(), grader)
	if !rec.Failed() {
		t.Fatalf("the grader passes the untouched %s: it grades nothing", stubFile)
	}
	if os.Getenv(EnvCheckStubs) != "" {
		t.Logf("the grader fails the untouched %s, as it must (%d failure(s))", stubFile, len(rec.Errors()))
		return
	}
	todo, err := ToDo(stubFile)
	if err != nil {
		todo = []string{fmt.Sprintf("edit %s (%v)", stubFile, err)}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s is not done yet: it is the exercise as shipped. Read README.md, then implement in %s:\n", stubFile, stubFile)
	fmt.Fprintf(&b, "%s는 아직 배포된 그대로입니다. README.md를 읽고 %s에서 다음을 구현하세요:\n", stubFile, stubFile)
	for _, item := range todo {
		fmt.Fprintf(&b, "  - %s\n", strings.ReplaceAll(item, "\n", "\n    "))
	}
	fmt.Fprintf(&b, "What the grader sees on %s as it is (%d failure(s)):\n%s\n\n", stubFile, len(rec.Errors()), strings.TrimSpace(rec.Report()))
	fmt.Fprintf(&b, "Not graded yet: implement the above in %s and run go test again. / 아직 채점 전: 위 내용을 %s에 구현하고 go test를 다시 실행하세요.", stubFile, stubFile)
	t.Fatal(b.String())
}

// ToDo lists what the learner implements in a stub file: each function
// whose body holds a TODO comment, with its TODOs, and each constant,
// variable and type, each with the first sentence of its doc comment.
func ToDo(stubFile string) ([]string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, stubFile, nil, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			var todos []string
			for _, cg := range f.Comments {
				if cg.Pos() < d.Body.Lbrace || cg.End() > d.Body.Rbrace {
					continue
				}
				for _, line := range strings.Split(cg.Text(), "\n") {
					line = strings.TrimSpace(line)
					switch {
					case strings.HasPrefix(line, "TODO"):
						todos = append(todos, strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(line, "TODO"), ":")))
					case len(todos) > 0 && line != "":
						todos[len(todos)-1] += " " + line
					}
				}
			}
			if len(todos) == 0 {
				continue // given, not to implement (a method the framework needs)
			}
			item := describe(funcName(d), d.Name.Name, d.Doc.Text())
			for _, td := range todos {
				if td = strings.TrimSpace(td); td != "" {
					item += "\n" + td
				}
			}
			out = append(out, item)
		case *ast.GenDecl:
			for _, s := range d.Specs {
				var names []string
				var docText string
				switch s := s.(type) {
				case *ast.ValueSpec:
					for _, n := range s.Names {
						names = append(names, n.Name)
					}
					docText = s.Doc.Text()
				case *ast.TypeSpec:
					names = append(names, s.Name.Name)
					docText = s.Doc.Text()
				default:
					continue
				}
				if docText == "" {
					docText = d.Doc.Text()
				}
				out = append(out, describe(strings.Join(names, ", "), names[0], docText))
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s declares nothing to implement", stubFile)
	}
	return out, nil
}

func funcName(d *ast.FuncDecl) string {
	if d.Recv == nil || len(d.Recv.List) == 0 {
		return d.Name.Name
	}
	recv := d.Recv.List[0].Type
	if s, ok := recv.(*ast.StarExpr); ok {
		recv = s.X
	}
	if id, ok := recv.(*ast.Ident); ok {
		return id.Name + "." + d.Name.Name
	}
	return d.Name.Name
}

// describe is a declaration's name with the first sentence of its doc
// comment ("ZoneSpread.Score ranks one node.").
func describe(full, name, docText string) string {
	s := firstSentence(docText)
	if rest, ok := strings.CutPrefix(s, name+" "); ok {
		return full + " " + rest
	}
	if s == "" {
		return full + " (no doc comment)"
	}
	return full + ": " + s
}

// firstSentence is the doc comment's first sentence: up to a period
// followed by a capital letter, or the end of the first paragraph.
func firstSentence(docText string) string {
	para, _, _ := strings.Cut(strings.TrimSpace(docText), "\n\n")
	words := strings.Fields(para)
	for i, w := range words {
		if strings.HasSuffix(w, ".") && !strings.HasSuffix(w, "..") && (i == len(words)-1 || unicode.IsUpper([]rune(words[i+1])[0])) {
			return strings.Join(words[:i+1], " ")
		}
	}
	return strings.Join(words, " ")
}

// Hash is the sha256 Grade compares, in hex.
func Hash(file string) (string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(bytes.ReplaceAll(data, []byte("\r"), nil))
	return hex.EncodeToString(sum[:]), nil
}
