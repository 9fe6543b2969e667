package httpapi

import (
	"encoding/json"
	"testing"
)

// /openapi.json is valid JSON, needs no key, and describes every route the
// router serves.
func TestOpenAPI(t *testing.T) {
	f := start(t, cluster)
	got := f.do(t, "GET", "/openapi.json", "", nil)
	if got.status != 200 || got.header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, type %q", got.status, got.header.Get("Content-Type"))
	}
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal([]byte(got.body), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q", doc.OpenAPI)
	}
	for path, methods := range map[string][]string{
		"/": {"post"}, "/{command}/{args}": {"get", "post"}, "/pipeline": {"post"}, "/multi-exec": {"post"},
		"/subscribe/{channel}": {"get"}, "/psubscribe/{pattern}": {"get"}, "/ws": {"get"}, "/mcp": {"post"}, "/health": {"get"},
		"/metrics": {"get"}, "/openapi.json": {"get"},
	} {
		for _, m := range methods {
			if _, ok := doc.Paths[path][m]; !ok {
				t.Errorf("%s %s is not described", m, path)
			}
		}
	}
}

// ?encoding=base64 on /ws, for browsers that cannot set the header.
func TestWSBase64(t *testing.T) {
	f := start(t)
	f.do(t, "POST", "/set/bin", "", []byte{0xff, 0x00, 'a'})
	ctx, cancel := ctxWithTimeout()
	defer cancel()
	c, _, err := dialURL(ctx, wsURL(f, "?encoding=base64"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	wsSend(t, c, `{"id":1,"cmd":["GET","bin"]}`)
	if got := wsRead(t, c); got != `{"id":1,"result":"/wBh"}` {
		t.Fatalf("base64 over /ws: %s", got)
	}
}
