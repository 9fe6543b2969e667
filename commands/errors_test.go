package commands

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// errorText matches a string that is an error reply (or starts one): an
// error code and a space, with the '-' of a raw reply or without.
var errorText = regexp.MustCompile(`^-?(ERR|WRONGTYPE|NOAUTH|NOPERM|WRONGPASS|QUOTA|RATELIMIT|EXECABORT|NOPROTO|INVALIDOBJ|OOM|BUSYKEY|LOADING|NOSCRIPT|UNBLOCKED|NOREPLICAS|READONLY) `)

// Each package's error texts are in one file, so a reader finds every
// message a user can get in one place and docs/ERRORS.md can be checked
// against it: no other file of these packages spells one.
func TestErrorTextsInOnePlace(t *testing.T) {
	for _, pkg := range []struct{ dir, home string }{
		{".", "errors.go"},
		{"../resp", "errors.go"},
		{"../tenant", "errors.go"},
		{"../tenant/tenantsfile", ""},
		{"../hivehub", ""},
		{"../engine", ""},
	} {
		files, err := filepath.Glob(filepath.Join(pkg.dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") || filepath.Base(path) == pkg.home {
				continue
			}
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, path, src, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				if s, err := strconv.Unquote(lit.Value); err == nil && errorText.MatchString(s) {
					where := pkg.home
					if where == "" {
						where = "an errors.go"
					}
					t.Errorf("%s: error text %q belongs in %s", fset.Position(lit.Pos()), s, where)
				}
				return true
			})
		}
	}
}

// constTexts evaluates the string constants and variables of a Go file: a
// literal, a sum of literals and names declared before, or the format of a
// fmt.Sprintf.
func constTexts(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	vals := map[string]string{}
	var eval func(e ast.Expr) (string, bool)
	eval = func(e ast.Expr) (string, bool) {
		switch e := e.(type) {
		case *ast.BasicLit:
			if e.Kind == token.STRING {
				s, err := strconv.Unquote(e.Value)
				return s, err == nil
			}
		case *ast.Ident:
			v, ok := vals[e.Name]
			return v, ok
		case *ast.BinaryExpr:
			a, ok1 := eval(e.X)
			b, ok2 := eval(e.Y)
			return a + b, ok1 && ok2 && e.Op == token.ADD
		case *ast.CallExpr:
			if sel, ok := e.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Sprintf" && len(e.Args) > 0 {
				return eval(e.Args[0])
			}
		}
		return "", false
	}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || (g.Tok != token.CONST && g.Tok != token.VAR) {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if i < len(vs.Values) {
					if v, ok := eval(vs.Values[i]); ok {
						vals[name.Name] = v
					}
				}
			}
		}
	}
	return vals
}

// Every error text of commands/errors.go and resp/errors.go is in
// docs/ERRORS.md: each of its fixed parts (what lies between the values
// filled in) appears there.
func TestErrorTextsDocumented(t *testing.T) {
	raw, err := os.ReadFile("../docs/ERRORS.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	verb := regexp.MustCompile(`%[sdq]|\r\n`)
	for _, path := range []string{"errors.go", "../resp/errors.go"} {
		texts := constTexts(t, path)
		if len(texts) < 15 {
			t.Fatalf("%s: only %d texts found", path, len(texts))
		}
		for name, text := range texts {
			if name == "protoPrefix" {
				continue
			}
			for _, part := range verb.Split(strings.TrimPrefix(text, "-"), -1) {
				if len(strings.TrimSpace(part)) >= 3 && !strings.Contains(doc, part) {
					t.Errorf("%s: %s (%q) is not in docs/ERRORS.md: %q missing", path, name, text, part)
				}
			}
		}
	}
}
