package commands

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"synap/engine"
)

// A tenant's streams are charged per entry, field, group, consumer and
// pending entry: XADD is refused at the quota with nothing stored, and a
// consumer cannot grow the pending lists past it either: XREADGROUP is
// refused before it delivers anything, and the entries stay undelivered.
func TestStreamsQuota(t *testing.T) {
	const limit = 20000
	_, c, ns := quotaCarol(t, "storage_limit_bytes: "+strconv.Itoa(limit)+", max_keys: -1")
	k := int64(engine.KeyCharge)
	if got := c.Do("XADD", "s", "1-1", "f", "v"); got != `"1-1"` {
		t.Fatal(got)
	}
	want := k + 1 + engine.StreamCharge + engine.StreamEntryCharge + 2*engine.StreamElemCharge + 2
	if got := ns.Bytes(); got != want {
		t.Errorf("one entry accounts %d bytes, want %d", got, want)
	}
	c.Do("XGROUP", "CREATE", "s", "g", "0")
	want += engine.StreamGroupCharge + 1
	if got := ns.Bytes(); got != want {
		t.Errorf("with a group: %d bytes, want %d", got, want)
	}
	// Fill up to the quota with entries.
	n := 1
	for ; ; n++ {
		got := c.Do("XADD", "s", strconv.Itoa(n+1)+"-1", "f", "v")
		if strings.HasPrefix(got, "-QUOTA") {
			break
		}
		if strings.HasPrefix(got, "-") {
			t.Fatal(got)
		}
	}
	used := ns.Bytes()
	if used > limit {
		t.Fatalf("XADD took the tenant to %d bytes, over %d", used, limit)
	}
	if got := c.Do("XLEN", "s"); got != ":"+strconv.Itoa(n) {
		t.Errorf("XLEN after the refused XADD: %s, want %d", got, n)
	}
	// Delivering every entry would add a pending entry each: refused whole.
	quota := fmt.Sprintf("-QUOTA storage quota exceeded: used %d of %d bytes", used, limit)
	if got := c.Do("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"); got != quota {
		t.Errorf("XREADGROUP over the quota: %s, want %s", got, quota)
	}
	if got := c.Do("XPENDING", "s", "g"); got != `[:0 nil nil nil-array]` {
		t.Errorf("XPENDING after the refused read: %s", got)
	}
	// NOACK adds no pending entry; trimming frees room for more.
	if got := c.Do("XREADGROUP", "GROUP", "g", "c", "NOACK", "COUNT", "1", "STREAMS", "s", ">"); strings.HasPrefix(got, "-") {
		t.Errorf("XREADGROUP NOACK: %s", got)
	}
	c.Do("XTRIM", "s", "MAXLEN", "2")
	if got := c.Do("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"); !strings.HasPrefix(got, `[["s" [[`) {
		t.Errorf("XREADGROUP after trimming: %s", got)
	}
	if got := c.Do("XGROUP", "CREATE", "s2", "g", "$", "MKSTREAM"); got != "+OK" {
		t.Errorf("XGROUP CREATE MKSTREAM: %s", got)
	}
	// Deleting gives everything back.
	c.Do("DEL", "s", "s2")
	if got := ns.Bytes(); got != 0 {
		t.Errorf("after DEL: %d bytes", got)
	}
}

// A read past the client's output bound is answered with the bound's
// error, and a plain read's walk stops there instead of gathering the
// whole stream.
func TestStreamsReadsStopAtTheOutputBound(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	runSteps(t, c, []step{{args: []string{"CONFIG", "SET", "client-output-buffer-limit", "normal 64kb 0 0"}, want: "+OK"}})
	const n = 5000
	val := strings.Repeat("v", 100)
	for i := 1; i <= n; i++ {
		c.Send(string(encodeCmd("XADD", "s", strconv.Itoa(i)+"-1", "f", val)))
	}
	for i := 1; i <= n; i++ {
		if got := c.Read(); got != `"`+strconv.Itoa(i)+`-1"` {
			t.Fatalf("XADD %d: %s", i, got)
		}
	}
	tooBig := "-" + fmt.Sprintf(errReplyTooBig, 65536)
	runSteps(t, c, []step{
		{cmd: "XRANGE s - +", want: tooBig},
		{cmd: "XREVRANGE s + -", want: tooBig},
		{cmd: "XREAD STREAMS s 0", want: tooBig},
		{cmd: "XINFO STREAM s FULL COUNT 0", want: tooBig},
		{cmd: "XGROUP CREATE s g 0", want: "+OK"},
		{cmd: "XREADGROUP GROUP g c STREAMS s >", want: tooBig},
	})
	// A group read delivers what COUNT says whatever the bound, so that its
	// record replays the same: every entry is pending, as in Redis, whose
	// client would have been disconnected.
	if got := c.Do("XPENDING", "s", "g"); got != fmt.Sprintf(`[:%d "1-1" "%d-1" [["c" "%d"]]]`, n, n, n) {
		t.Errorf("XPENDING after a group read past the bound: %s", got)
	}
	runSteps(t, c, []step{
		{cmd: "XREADGROUP GROUP g c COUNT 2 STREAMS s 0", want: fmt.Sprintf(`[["s" [["1-1" ["f" "%s"]] ["2-1" ["f" "%s"]]]]]`, val, val)},
	})
}
