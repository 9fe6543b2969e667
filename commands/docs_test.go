package commands

import (
	"os"
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
