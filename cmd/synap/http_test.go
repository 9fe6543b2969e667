package main

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// The binary serves the HTTP surface beside RESP; --http-port -1 turns it
// off; a bad port is refused before anything listens.
func TestCLIHTTP(t *testing.T) {
	_, _, log := cliStartLog(t, "--port", "0", "--http-port", "0")
	// Logged before "serving RESP", which cliStartLog waited for.
	m := regexp.MustCompile(`msg="serving HTTP" addr=(\S+)`).FindStringSubmatch(log.all())
	if m == nil {
		t.Fatalf("no HTTP address in the log:\n%s", log.all())
	}
	res, err := http.Get("http://" + m[1] + "/health")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || strings.TrimSpace(string(b)) != `{"status":"ok"}` {
		t.Fatalf("/health: %d %s", res.StatusCode, b)
	}
	res, err = http.Get("http://" + m[1] + "/set/k/v")
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if strings.TrimSpace(string(b)) != `{"result":"OK"}` {
		t.Fatalf("/set/k/v: %s", b)
	}
	// The binary mounts MCP: an initialize opens a session (the SDK's
	// Mcp-Session-Id header) rather than answering 501.
	init := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`
	req, _ := http.NewRequest("POST", "http://"+m[1]+"/mcp", strings.NewReader(init))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Mcp-Session-Id") == "" || !strings.Contains(string(b), `"serverInfo"`) {
		t.Fatalf("/mcp initialize: %d %q %s", res.StatusCode, res.Header.Get("Mcp-Session-Id"), b)
	}

	_, _, off := cliStartLog(t, "--port", "0", "--http-port", "off")
	if strings.Contains(off.all(), "serving HTTP") {
		t.Fatalf("--http-port off served HTTP:\n%s", off.all())
	}
	if got := cliRunFails(t, nil, "--port", "0", "--http-port", "70000"); !strings.Contains(got, `http-port must be off, 0 (any free port) or a port up to 65535, got "70000"`) {
		t.Fatalf("--http-port 70000: %s", got)
	}
}

// http-port off from each source, and the HTTP settings as parsed.
func TestCLIHTTPSettings(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		file string
		args []string
		port int
	}{
		{name: "default", port: 15500},
		{name: "flag off", args: []string{"--http-port", "off"}, port: -1},
		{name: "flag -1", args: []string{"--http-port=-1"}, port: -1},
		{name: "env off", env: map[string]string{"SYNAP_HTTP_PORT": "off"}, port: -1},
		{name: "file off", file: "http-port: off\n", port: -1},
		{name: "file port", file: "http-port: 8080\n", port: 8080},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if path := cliFile(t, "c.yaml", tc.file); path != "" {
				args = append(args, "--config", path)
			}
			cliEnv(t, tc.env)
			_, got, err := parseArgs(args)
			if err != nil {
				t.Fatal(err)
			}
			if got.HTTP.Port != tc.port {
				t.Errorf("port %d, want %d", got.HTTP.Port, tc.port)
			}
		})
	}
	_, got, err := parseArgs([]string{"--http-allowed-origins", " https://a.example, https://b.example ,", "--http-cors-origins", "*"})
	if err != nil {
		t.Fatal(err)
	}
	if o := got.HTTP.Options; strings.Join(o.AllowedOrigins, "|") != "https://a.example|https://b.example" || strings.Join(o.CORSOrigins, "|") != "*" {
		t.Errorf("origins: %q %q", o.AllowedOrigins, o.CORSOrigins)
	}
	if _, _, err := parseArgs([]string{"--http-ws-send-queue", "0"}); err == nil || err.Error() != "http-ws-send-queue must be at least 1, got 0" {
		t.Errorf("send queue 0: %v", err)
	}
}
