package httpapi

import (
	"strings"
	"testing"
	"time"
)

// A tenant's request bodies count against its max_input_bytes_per_second,
// with its RESP connections: past a second's worth they are read more
// slowly, and the command still runs whole.
func TestHTTPInputPaced(t *testing.T) {
	old := testLimits["alice"]
	t.Cleanup(func() { testLimits["alice"] = old })
	testLimits["alice"] = strings.TrimSuffix(old, "}") + ", max_input_bytes_per_second: 262144}"
	f := start(t, cluster)
	val := strings.Repeat("v", 384<<10)
	start := time.Now()
	// 256 KiB at once, then 128 KiB and the second body's 384 at 256 KiB/s.
	for _, k := range []string{"a", "b"} {
		if r := f.cmd(t, secret("alice-rw"), "SET", k, val); r.status != 200 || r.body != `{"result":"OK"}` {
			t.Fatalf("SET %s: %d %s", k, r.status, r.body)
		}
	}
	if d := time.Since(start); d < 1800*time.Millisecond {
		t.Fatalf("768 KiB at 256 KiB/s (256 KiB at once) read in %v", d)
	}
	if r := f.cmd(t, secret("alice-rw"), "STRLEN", "b"); r.body != `{"result":393216}` {
		t.Fatalf("STRLEN b: %s", r.body)
	}
	// Bob's bodies are not alice's.
	start = time.Now()
	if r := f.cmd(t, secret("bob-rw"), "SET", "a", val); r.status != 200 {
		t.Fatalf("bob's SET: %d %s", r.status, r.body)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("bob's 384 KiB body waited %v", d)
	}
}

// WebSocket frames count too: past the tenant's second's worth the next
// frame is taken later, and every command runs.
func TestWSInputPaced(t *testing.T) {
	old := testLimits["alice"]
	t.Cleanup(func() { testLimits["alice"] = old })
	testLimits["alice"] = strings.TrimSuffix(old, "}") + ", max_input_bytes_per_second: 262144}"
	f := start(t, cluster)
	c, _, err := dialWS(t, f, secret("alice-rw"))
	if err != nil {
		t.Fatal(err)
	}
	val := strings.Repeat("v", 200<<10)
	start := time.Now()
	// 600 KiB: 256 KiB at once, the rest at 256 KiB/s.
	for i := range 3 {
		wsSend(t, c, `{"id":`+string(rune('1'+i))+`,"cmd":["APPEND","k","`+val+`"]}`)
		if got, want := wsRead(t, c), `{"id":`+string(rune('1'+i))+`,"result":`+[]string{"204800", "409600", "614400"}[i]+`}`; got != want {
			t.Fatalf("APPEND %d: %s, want %s", i, got, want)
		}
	}
	if d := time.Since(start); d < 1200*time.Millisecond {
		t.Fatalf("600 KiB of frames at 256 KiB/s (256 KiB at once) taken in %v", d)
	}
}
