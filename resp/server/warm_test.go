package server

import (
	"bytes"
	"io"
	"log/slog"
	"testing"

	"synap/commands"
	"synap/resp"
	"synap/resp/resptest"
	"synap/tenant"
)

// Looking ahead pays only for a batch of several keys; for one without
// keys (PUBLISH, PING) or on one key, warm stops looking for warmSkip
// reads, and looks again after them.
func TestWarmSkipsBatchesWithNothingToWarm(t *testing.T) {
	srv := commands.NewServer(commands.DefaultConfig(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(func() { _ = srv.Close() })
	c, err := srv.NewSession(tenant.SurfaceRESP, commands.LocalTransport{Remote: "t", Local: "t"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	batch := func(cmds ...[]string) []byte {
		var b []byte
		for range 4 {
			for _, cmd := range cmds {
				b = append(b, resptest.Encode(cmd...)...)
			}
		}
		return b
	}
	for _, tc := range []struct {
		name  string
		input []byte
		skip  bool
	}{
		{"keyless", batch([]string{"PUBLISH", "ch", "x"}, []string{"PING"}), true},
		{"one key", batch([]string{"SADD", "s", "m"}), true},
		{"lone", resptest.Encode("GET", "k"), true},
		{"many keys", batch([]string{"SET", "a", "1"}, []string{"GET", "b"}), false},
	} {
		rc := &conn{s: srv, c: c, rd: resp.NewReader(bytes.NewReader(tc.input), srv.Limits())}
		if err := rc.rd.Fill(); err != nil {
			t.Fatal(err)
		}
		if n := rc.warm(); n < 1 {
			t.Fatalf("%s: warm covered %d commands", tc.name, n)
		}
		if got := rc.warmSkip == warmSkip; got != tc.skip {
			t.Errorf("%s: skipping next reads = %v, want %v", tc.name, got, tc.skip)
		}
	}
}
