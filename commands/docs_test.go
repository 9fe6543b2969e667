package commands

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"synap/tenant"
)

// docs/ACCESS-KEYS.md names every command that needs delete or admin, or
// that only the operator may run: the table decides, the page must say it.
func TestAccessKeysDocumented(t *testing.T) {
	raw, err := os.ReadFile("../docs/ACCESS-KEYS.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	srv := newTestServer()
	var walk func(c *Command)
	walk = func(c *Command) {
		for _, s := range c.Subs {
			walk(s)
		}
		if len(c.Subs) > 0 {
			return
		}
		switch c.Need {
		case tenant.NeedDelete, tenant.NeedAdmin, tenant.NeedServer:
			if name := strings.ToUpper(strings.ReplaceAll(c.Name, "|", " ")); !strings.Contains(doc, name) {
				t.Errorf("docs/ACCESS-KEYS.md does not name %s, which needs %s", name, c.Need)
			}
		}
	}
	for _, c := range srv.Table.All() {
		walk(c)
	}
}

// The repository is self-contained: nothing in it cites a design file that
// is not in it.
func TestNoDesignFileCited(t *testing.T) {
	docs, err := filepath.Glob("../docs/*.md")
	if err != nil || len(docs) == 0 {
		t.Fatalf("docs: %v", err)
	}
	for _, path := range append(docs, "../README.md") {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, cite := range []string{"DESIGN.md", "../shared", "design card"} {
			if strings.Contains(string(raw), cite) {
				t.Errorf("%s cites %q, which is not in the repository", path, cite)
			}
		}
	}
}
