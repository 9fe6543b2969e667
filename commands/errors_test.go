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
