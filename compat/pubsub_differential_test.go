package compat

import (
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"synap/resp/resptest"
)

// A pub/sub script: each line runs on one of several connections.
// "N> CMD args" sends CMD on connection N and reads its one reply;
// "N>k CMD args" reads k replies (SUBSCRIBE a b confirms each name);
// "N<k" reads k more replies (pushes) without sending anything. The
// transcripts of Synap and redis-server must be identical, in RESP2 and
// RESP3. Scripts avoid what Redis leaves to its hash order (several
// patterns matching one channel, UNSUBSCRIBE of several names with no
// arguments).
var pubsubScripts = map[string]string{
	"subscribe_publish": `
0>2 SUBSCRIBE news sport
1> PUBLISH news hello
0<1
1> PUBLISH sport ""
0<1
1> PUBLISH nobody x
0> UNSUBSCRIBE news
1> PUBLISH news lost
1> PUBLISH sport kept
0<1
0> UNSUBSCRIBE
0> UNSUBSCRIBE
0> UNSUBSCRIBE a b
1> PUBLISH sport gone`,
	"patterns": `
0> PSUBSCRIBE news.*
0> SUBSCRIBE news.tech
1> PUBLISH news.tech t
0<2
1> PUBLISH news.art a
0<1
1> PUBSUB NUMPAT
0> PUNSUBSCRIBE news.*
0> PUNSUBSCRIBE
0> PUNSUBSCRIBE nope
1> PUBSUB NUMPAT
0> PSUBSCRIBE h?llo h[ae]llo`,
	"subscribed_mode": `
0> SUBSCRIBE c
0> GET k
0> SET k v
0> PING
0> PING hi
0> PING a b
0> NOSUCH x
0> MULTI
0> HELLO 2
0> CLIENT ID
0> SELECT 0
0> PSUBSCRIBE x*
0> SSUBSCRIBE s
0> UNSUBSCRIBE c
0> PUNSUBSCRIBE x*
0> GET k
0> SUNSUBSCRIBE
0> GET k
0> PING`,
	"reset_quits_subscriptions": `
0> SUBSCRIBE c
0> PSUBSCRIBE p*
1> PUBSUB NUMSUB c
0> RESET
1> PUBSUB NUMSUB c
1> PUBSUB NUMPAT
1> PUBLISH c x
0> PING`,
	"shard": `
0>2 SSUBSCRIBE s1 s2
0> SUBSCRIBE s1
1> SPUBLISH s1 m
0<1
1> PUBLISH s1 n
0<1
1> PUBSUB SHARDCHANNELS
1> PUBSUB SHARDCHANNELS s?
1> PUBSUB SHARDNUMSUB s1 s2 s3
1> PUBSUB SHARDNUMSUB
1> PUBSUB CHANNELS
0> SUNSUBSCRIBE s2
0> SUNSUBSCRIBE s9
1> SPUBLISH s2 lost`,
	"pubsub_introspection": `
0>3 SUBSCRIBE a b c
2>2 SUBSCRIBE a x
1> PUBSUB CHANNELS
1> PUBSUB CHANNELS [ab]
1> PUBSUB CHANNELS *
1> PUBSUB CHANNELS nomatch*
1> PUBSUB CHANNELS a b
1> PUBSUB NUMSUB a b x y
1> PUBSUB NUMSUB
1> PUBSUB NUMPAT
1> PUBSUB NUMPAT extra
1> PUBSUB NOSUCH
1> PUBSUB
1> PUBLISH a to-two
0<1
2<1
1> PUBLISH
1> SUBSCRIBE
1> PSUBSCRIBE`,
	"resp3_commands_between": `
0> SUBSCRIBE c
0> SET k v
0> GET k
1> PUBLISH c m1
0<1
0> PUBLISH c self
0<1
0> UNSUBSCRIBE c`,
}

func TestPubSubDifferential(t *testing.T) {
	resptest.NeedRedisServer(t)
	redisAddr := startRedis(t).addr
	synapAddr := startSynap(t, "").Addr().String()
	for name, script := range pubsubScripts {
		for _, proto := range []string{"2", "3"} {
			if name == "resp3_commands_between" && proto == "2" {
				continue // RESP2 refuses the commands between (subscribed_mode)
			}
			t.Run(name+"/resp"+proto, func(t *testing.T) {
				want := runPubSubScript(t, redisAddr, proto, script)
				got := runPubSubScript(t, synapAddr, proto, script)
				for i := range want {
					if i >= len(got) || got[i] != want[i] {
						g := "<missing>"
						if i < len(got) {
							g = got[i]
						}
						t.Fatalf("line %d:\n synap %s\n redis %s", i, g, want[i])
					}
				}
			})
		}
	}
}

// runPubSubScript runs script on fresh connections to addr and returns
// the transcript: each line with the replies it read.
func runPubSubScript(t *testing.T, addr, proto, script string) []string {
	t.Helper()
	conns := map[int]*resptest.Client{}
	conn := func(n int) *resptest.Client {
		if c := conns[n]; c != nil {
			return c
		}
		c, err := resptest.Dial(addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		c.Do("HELLO", proto)
		conns[n] = c
		return c
	}
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(script), "\n") {
		line = strings.TrimSpace(line)
		i := strings.IndexAny(line, "<>")
		n, _ := strconv.Atoi(line[:i])
		c := conn(n)
		rest := line[i+1:]
		reads := 1
		if j := strings.IndexByte(rest, ' '); j > 0 || line[i] == '<' {
			if j < 0 {
				j = len(rest)
			}
			if k, err := strconv.Atoi(rest[:j]); err == nil {
				reads, rest = k, rest[j:]
			}
		}
		rest = strings.TrimSpace(rest)
		if line[i] == '>' {
			var args []string
			for _, a := range strings.Fields(rest) {
				if a == `""` {
					a = ""
				}
				args = append(args, a)
			}
			if err := c.Send(string(resptest.Encode(args...))); err != nil {
				t.Fatal(err)
			}
		}
		got := []string{line}
		for r := 0; r < reads; r++ {
			reply := c.Read()
			if strings.Contains(strings.ToUpper(rest), "CHANNELS") {
				reply = sortedArray(reply) // Redis lists them in hash order
			}
			got = append(got, reply)
		}
		out = append(out, strings.Join(got, " | "))
	}
	// Nothing more may be waiting: an extra push is a difference too.
	for n := 0; n < len(conns); n++ {
		if c := conns[n]; c != nil {
			if got := c.Do("PING", "end"); !strings.Contains(got, "end") {
				out = append(out, strconv.Itoa(n)+" extra: "+got)
			}
		}
	}
	// The next script runs on the same server: it must not count this
	// one's subscribers, which a server drops only once it has read their
	// connection's end (under load, after the next script has begun).
	for _, c := range conns {
		_ = c.Close()
	}
	probe, err := resptest.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	for deadline := time.Now().Add(10 * time.Second); ; {
		ch, sh, pat := probe.Do("PUBSUB", "CHANNELS"), probe.Do("PUBSUB", "SHARDCHANNELS"), probe.Do("PUBSUB", "NUMPAT")
		if ch == "[]" && sh == "[]" && pat == ":0" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("subscriptions left after the script's connections closed: %s %s %s", ch, sh, pat)
		}
		time.Sleep(time.Millisecond)
	}
	return out
}

// sortedArray sorts the elements of a rendered flat array of names.
func sortedArray(reply string) string {
	if !strings.HasPrefix(reply, "[") || len(reply) < 2 {
		return reply
	}
	elems := strings.Fields(reply[1 : len(reply)-1])
	sort.Strings(elems)
	return "[" + strings.Join(elems, " ") + "]"
}
