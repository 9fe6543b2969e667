package commands

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// moduleImports returns the module's packages that pkg (a path such as
// "synap/commands") imports, directly or not, from its non-test files.
func moduleImports(t *testing.T, root, pkg string) []string {
	t.Helper()
	seen := map[string]bool{}
	var visit func(p string)
	visit = func(p string) {
		dir := filepath.Join(root, strings.TrimPrefix(p, "synap"))
		files, err := os.ReadDir(dir)
		if err != nil {
			t.Fatalf("package %s: %v", p, err)
		}
		for _, f := range files {
			name := f.Name()
			if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
				continue
			}
			af, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, name), nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, im := range af.Imports {
				path, _ := strconv.Unquote(im.Path.Value)
				if (path == "synap" || strings.HasPrefix(path, "synap/")) && !seen[path] {
					seen[path] = true
					visit(path)
				}
			}
		}
	}
	visit(pkg)
	var out []string
	for p := range seen {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// The request path points one way: the dispatcher knows the directory as
// tenant.Directory and never the HiveHub client or the tenants file (which
// cmd/synap chooses and wires), the tenant model knows no directory
// implementation, the wire package knows no command, and the codecs know
// nothing of Synap.
func TestLayoutDependencies(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		pkg    string
		forbid []string // exact packages; a trailing / forbids the subtree
	}{
		{"synap/commands", []string{"synap/hivehub", "synap/tenant/tenantsfile", "synap/cmd/"}},
		{"synap/tenant", []string{"synap/hivehub", "synap/tenant/tenantsfile", "synap/commands", "synap/engine", "synap/resp"}},
		{"synap/tenant/tenantsfile", []string{"synap/hivehub", "synap/commands", "synap/engine", "synap/resp"}},
		{"synap/hivehub", []string{"synap/commands", "synap/engine", "synap/resp"}},
		{"synap/resp", []string{"synap/commands", "synap/tenant", "synap/engine"}},
		{"synap/engine", []string{"synap/commands", "synap/tenant", "synap/resp", "synap/hivehub"}},
		{"synap/pubsub", []string{"synap/commands", "synap/resp", "synap/tenant", "synap/hivehub"}},
		{"synap/commands/geohash", []string{"synap/"}},
		{"synap/commands/hyperloglog", []string{"synap/"}},
		{"synap/rdb", []string{"synap/"}},
		{"synap/persist/snapshot", []string{"synap/hivehub", "synap/tenant/tenantsfile", "synap/cmd/", "synap/resp/server"}},
	} {
		for _, dep := range moduleImports(t, root, tc.pkg) {
			for _, f := range tc.forbid {
				if dep == f || strings.HasSuffix(f, "/") && strings.HasPrefix(dep, f) {
					t.Errorf("%s imports %s", tc.pkg, dep)
				}
			}
		}
	}
}
