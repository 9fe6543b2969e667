package commands

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"synap/engine"
	"synap/resp/resptest"
)

// renderStream is a stream as replay must reproduce it: entries, counters,
// and every group with its consumers and pending entries (times included).
func renderStream(s *engine.Stream) string {
	var b strings.Builder
	fmt.Fprintf(&b, "len=%d last=%s maxdel=%s added=%d nodes=%d [", s.Len(), s.LastID, s.MaxDeletedID, s.EntriesAdded, s.Nodes())
	s.Ascend(engine.StreamID{}, func(e *engine.StreamEntry) bool {
		fmt.Fprintf(&b, " %s%q", e.ID, e.Fields)
		return true
	})
	b.WriteString(" ]")
	for _, g := range s.Groups() {
		fmt.Fprintf(&b, " group %s last=%s read=%d pel{", g.Name, g.LastID, g.EntriesRead)
		g.PEL.Scan(func(p *engine.StreamPending) bool {
			fmt.Fprintf(&b, " %s:%s@%d#%d", p.ID, p.Consumer.Name, p.DeliveryTime, p.DeliveryCount)
			return true
		})
		b.WriteString(" } consumers{")
		for _, c := range g.Consumers() {
			fmt.Fprintf(&b, " %s:%d", c.Name, c.PEL.Len())
		}
		b.WriteString(" }")
	}
	return b.String()
}

// XREAD BLOCK is woken by an XADD from another connection, with the
// entries after the id it blocked on ("$" resolved when it blocked).
func TestStreamsBlockingWakeUps(t *testing.T) {
	srv := startServer(t)
	reader, writer, admin := dial(t, srv), dial(t, srv), dial(t, srv)
	runSteps(t, writer, []step{{cmd: "XADD s 1-1 a 1", want: `"1-1"`}})

	blockingSend(t, reader, "XREAD", "BLOCK", "0", "STREAMS", "other", "s", "$", "$")
	blockingAwait(t, admin, 1)
	runSteps(t, writer, []step{{cmd: "XADD unrelated 1-1 a 1", want: `"1-1"`}, {cmd: "XADD s 2-1 b 2", want: `"2-1"`}})
	blockingReplyIs(t, reader, "XREAD $", `[["s" [["2-1" ["b" "2"]]]]]`)

	// A deletion wakes nobody up with nothing: the reader stays blocked.
	blockingSend(t, reader, "XREAD", "BLOCK", "0", "STREAMS", "s", "2-1")
	blockingAwait(t, admin, 1)
	runSteps(t, writer, []step{{cmd: "XDEL s 1-1", want: ":1"}})
	blockingAwait(t, admin, 1)
	runSteps(t, writer, []step{{cmd: "XADD s 3-1 c 3", want: `"3-1"`}})
	blockingReplyIs(t, reader, "XREAD after XDEL", `[["s" [["3-1" ["c" "3"]]]]]`)

	// RESP3: a map of one stream.
	reader.Do("HELLO", "3")
	blockingSend(t, reader, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
	blockingAwait(t, admin, 1)
	runSteps(t, writer, []step{{cmd: "XADD s 4-1 d 4", want: `"4-1"`}})
	blockingReplyIs(t, reader, "XREAD RESP3", `{"s":[["4-1" ["d" "4"]]]}`)
	reader.Do("HELLO", "2")

	// A timeout answers a null array.
	runSteps(t, reader, []step{{cmd: "XREAD BLOCK 20 STREAMS s $", want: "nil-array"}})

	// XREADGROUP BLOCK >: served entries join the consumer's pending list.
	runSteps(t, writer, []step{{cmd: "XGROUP CREATE s g $", want: "+OK"}})
	blockingSend(t, reader, "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">")
	blockingAwait(t, admin, 1)
	runSteps(t, writer, []step{{cmd: "XADD s 5-1 e 5", want: `"5-1"`}})
	blockingReplyIs(t, reader, "XREADGROUP", `[["s" [["5-1" ["e" "5"]]]]]`)
	if got := writer.Do("XPENDING", "s", "g"); got != `[:1 "5-1" "5-1" [["alice" "1"]]]` {
		t.Errorf("XPENDING after a served XREADGROUP: %s", got)
	}
	if got := writer.Do("XINFO", "GROUPS", "s"); !strings.Contains(got, `"last-delivered-id" "5-1" "entries-read" :5 "lag" :0`) {
		t.Errorf("XINFO GROUPS after a served XREADGROUP: %s", got)
	}

	// The group destroyed while a consumer waits: the next write to the
	// stream ends the wait with NOGROUP, as Redis 7.0.
	blockingSend(t, reader, "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">")
	blockingAwait(t, admin, 1)
	runSteps(t, writer, []step{{cmd: "XGROUP DESTROY s g", want: ":1"}})
	blockingReplyIs(t, reader, "XREADGROUP of a destroyed group", "-"+errStreamGroupGone)

	// Inside MULTI a blocking read times out at once.
	runSteps(t, reader, []step{
		{cmd: "MULTI", want: "+OK"},
		{cmd: "XREAD BLOCK 0 STREAMS s $", want: "+QUEUED"},
		{cmd: "EXEC", want: "[nil-array]"},
	})
}

// Two readers blocked on one stream are both served by one XADD; two
// group consumers blocked on one group share entries, none twice.
func TestStreamsBlockingFanOut(t *testing.T) {
	srv := startServer(t)
	r1, r2, c1, c2, writer, admin := dial(t, srv), dial(t, srv), dial(t, srv), dial(t, srv), dial(t, srv), dial(t, srv)
	runSteps(t, writer, []step{{cmd: "XGROUP CREATE s g $ MKSTREAM", want: "+OK"}})
	blockingSend(t, r1, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
	blockingSend(t, r2, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
	blockingSend(t, c1, "XREADGROUP", "GROUP", "g", "c1", "BLOCK", "0", "STREAMS", "s", ">")
	blockingSend(t, c2, "XREADGROUP", "GROUP", "g", "c2", "BLOCK", "0", "STREAMS", "s", ">")
	blockingAwait(t, admin, 4)
	runSteps(t, writer, []step{{cmd: "XADD s 1-1 a 1", want: `"1-1"`}})
	blockingReplyIs(t, r1, "r1", `[["s" [["1-1" ["a" "1"]]]]]`)
	blockingReplyIs(t, r2, "r2", `[["s" [["1-1" ["a" "1"]]]]]`)
	// The consumer that blocked first gets 1-1; the other found nothing new
	// for the group and waits on for 2-1.
	blockingAwait(t, admin, 1)
	runSteps(t, writer, []step{{cmd: "XADD s 2-1 b 2", want: `"2-1"`}})
	got := []string{c1.Read(), c2.Read()}
	slices.Sort(got)
	if want := []string{`[["s" [["1-1" ["a" "1"]]]]]`, `[["s" [["2-1" ["b" "2"]]]]]`}; !slices.Equal(got, want) {
		t.Errorf("the group's consumers got %q, want %q", got, want)
	}
	if got := writer.Do("XPENDING", "s", "g"); got != `[:2 "1-1" "2-1" [["c1" "1"] ["c2" "1"]]]` {
		t.Errorf("XPENDING: %s", got)
	}
}

// In cluster mode a blocked read is woken only by its own tenant's XADD
// to its own key, and a read-only key may read and block but not add.
func TestStreamsBlockingIsolation(t *testing.T) {
	f := startCluster(t)
	alice, aliceAdmin, bob, aliceRO := f.as(t, "alice-rw"), f.as(t, "alice-admin"), f.as(t, "bob-rw"), f.as(t, "alice-ro")
	blockingSend(t, alice, "XREAD", "BLOCK", "0", "STREAMS", "q", "$")
	blockingAwait(t, aliceAdmin, 1)
	runSteps(t, bob, []step{{cmd: "XADD q 1-1 job bob", want: `"1-1"`}})
	blockingAwait(t, aliceAdmin, 1)
	runSteps(t, aliceAdmin, []step{{cmd: "XADD q 2-1 job alice", want: `"2-1"`}})
	blockingReplyIs(t, alice, "alice", `[["q" [["2-1" ["job" "alice"]]]]]`)
	runSteps(t, bob, []step{{cmd: "XRANGE q - +", want: `[["1-1" ["job" "bob"]]]`}})
	runSteps(t, aliceRO, []step{
		{cmd: "XRANGE q - +", want: `[["2-1" ["job" "alice"]]]`},
		{cmd: "XADD q 3-1 a b", want: "-" + NoPermErr("alice-ro", "xadd")},
		{cmd: "XGROUP CREATE q g 0", want: "-" + NoPermErr("alice-ro", "xgroup|create")},
		{cmd: "XACK q g 1-1", want: "-" + NoPermErr("alice-ro", "xack")},
		{cmd: "XREADGROUP GROUP g c STREAMS q >", want: "-" + NoPermErr("alice-ro", "xreadgroup")},
		{cmd: "XREAD COUNT 1 STREAMS q 0", want: `[["q" [["2-1" ["job" "alice"]]]]]`},
	})
	// A write-only key produces but cannot consume.
	w := f.as(t, "alice-w")
	runSteps(t, w, []step{
		{cmd: "XADD q 3-1 a b", want: `"3-1"`},
		{cmd: "XRANGE q - +", want: "-" + NoPermErr("alice-w", "xrange")},
		{cmd: "XREADGROUP GROUP g c STREAMS q >", want: "-" + NoPermErr("alice-w", "xreadgroup")},
	})
}

// Hostile ids: the 64-bit limits, 0-0, out of order, and huge MAXLEN.
func TestStreamsHostileIDs(t *testing.T) {
	c := exactConn(t)
	runSteps(t, c, []step{
		{cmd: "XADD s 0-0 a b", want: "-" + errStreamXAddZero},
		{cmd: "XADD s 0-1 a b", want: `"0-1"`},
		{cmd: "XADD s 0-1 a b", want: "-" + errStreamXAddSmall},
		{cmd: "XADD s 18446744073709551615-18446744073709551615 a b", want: `"18446744073709551615-18446744073709551615"`},
		{cmd: "XADD s * a b", want: "-" + errStreamExhausted},
		{cmd: "XADD s 18446744073709551615-* a b", want: "-" + errStreamExhausted},
		{cmd: "XADD t MAXLEN 9223372036854775807 1-1 a b", want: `"1-1"`},
		{cmd: "XADD t MAXLEN 9223372036854775808 2-1 a b", want: "-ERR value is not an integer or out of range"},
		{cmd: "XTRIM t MAXLEN ~ 9223372036854775807 LIMIT 9223372036854775807", want: ":0"},
		{cmd: "XRANGE s (18446744073709551615-18446744073709551615 +", want: "-" + errStreamStartID},
		{cmd: "XRANGE s - (0-0", want: "-" + errStreamEndID},
		{cmd: "XRANGE s 18446744073709551615 +", want: `[["18446744073709551615-18446744073709551615" ["a" "b"]]]`},
		{cmd: "XREVRANGE s + - COUNT 1", want: `[["18446744073709551615-18446744073709551615" ["a" "b"]]]`},
		{cmd: "XADD u 5-5 a b", want: `"5-5"`},
		{cmd: "XADD u 5-4 a b", want: "-" + errStreamXAddSmall},
		{cmd: "XADD u 4-9 a b", want: "-" + errStreamXAddSmall},
		{cmd: "XADD u 5-18446744073709551615 a b", want: `"5-18446744073709551615"`},
		{cmd: "XADD u 5-* a b", want: "-" + errStreamXAddSmall},
		{cmd: "XADD u 6-* a b", want: `"6-0"`},
		{args: []string{"XADD", "u", strings.Repeat("9", 200), "a", "b"}, want: "-" + errStreamID},
	})
}

// A workload of every stream write, blocked group reads served by XADDs
// included, replayed from the write hook's records into an empty server,
// leaves the same streams: entries, counters, groups, pending entries with
// their owners, delivery times and counts.
func TestStreamsReplay(t *testing.T) {
	src, rec := startRecorded(t)
	writer, reader, admin := dial(t, src), dial(t, src), dial(t, src)
	rng := rand.New(rand.NewPCG(7, 12))
	writer.Do("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
	writer.Do("XGROUP", "CREATE", "s", "h", "0")
	for i := range 300 {
		switch rng.IntN(12) {
		case 0, 1, 2, 3:
			writer.Do("XADD", "s", "MAXLEN", "~", "150", "*", "f", strconv.Itoa(i))
		case 4:
			writer.Do("XREADGROUP", "GROUP", "g", "c"+strconv.Itoa(rng.IntN(3)), "COUNT", "3", "STREAMS", "s", ">")
		case 5:
			writer.Do("XREADGROUP", "GROUP", "h", "c"+strconv.Itoa(rng.IntN(3)), "NOACK", "COUNT", "2", "STREAMS", "s", ">")
		case 6:
			if p := writer.Do("XPENDING", "s", "g", "-", "+", "1"); strings.HasPrefix(p, `[["`) {
				id := strings.SplitN(p[3:], `"`, 2)[0]
				writer.Do("XACK", "s", "g", id)
			}
		case 7:
			writer.Do("XAUTOCLAIM", "s", "g", "c9", "0", "0", "COUNT", "2")
		case 8:
			writer.Do("XCLAIM", "s", "g", "c8", "0", "0-1", "FORCE")
		case 9:
			// A blocked group read, served by the next XADD.
			writer.Do("XREADGROUP", "GROUP", "g", "drain", "STREAMS", "s", ">")
			blockingSend(t, reader, "XREADGROUP", "GROUP", "g", "blocked", "BLOCK", "0", "STREAMS", "s", ">")
			blockingAwait(t, admin, 1)
			writer.Do("XADD", "s", "*", "woke", strconv.Itoa(i))
			if got := reader.Read(); !strings.Contains(got, `"woke"`) {
				t.Fatalf("blocked XREADGROUP got %s", got)
			}
		case 10:
			writer.Do("XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", "0")
		default:
			writer.Do("XDEL", "s", "0-1")
			writer.Do("XTRIM", "s", "MINID", "~", "0")
		}
	}
	recs := rec.take()
	want := dumpData(src, 0)
	dst := startServer(t)
	c := dial(t, dst)
	replay(t, dst, recs, func(Keyspace) *resptest.Client { return c })
	got := dumpData(dst, 0)
	compareData(t, want, got)
	if !slices.ContainsFunc(recs, func(r Record) bool { return strings.EqualFold(string(r.Args[0]), "xreadgroup") }) {
		t.Fatal("no XREADGROUP recorded")
	}
	for _, r := range recs {
		if strings.EqualFold(string(r.Args[0]), "xadd") && slices.ContainsFunc(r.Args, func(a []byte) bool { return string(a) == "*" }) {
			t.Fatalf("XADD recorded with *: %q", r.Args)
		}
		if slices.ContainsFunc(r.Args, func(a []byte) bool { return strings.EqualFold(string(a), "block") }) {
			t.Fatalf("recorded with BLOCK: %q", r.Args)
		}
	}
}
