package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"synap/resp/resptest"
)

// outcome is what tenant A got back during one row: the first error (a
// reply or what happened to its connection) and how many attack commands
// (or transactions) completed.
type outcome struct {
	mu       sync.Mutex
	done     int
	firstErr string
}

func (o *outcome) ok() {
	o.mu.Lock()
	o.done++
	o.mu.Unlock()
}

// fail records err unless the row is over: errors from connections the
// benchmark itself closed at the end of the window say nothing.
func (o *outcome) fail(ctx context.Context, err string) {
	if ctx.Err() != nil {
		return
	}
	o.mu.Lock()
	if o.firstErr == "" {
		o.firstErr = err
	}
	o.mu.Unlock()
}

func (o *outcome) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.firstErr != "" {
		return fmt.Sprintf("%s (%d completed)", o.firstErr, o.done)
	}
	if o.done == 0 {
		return "no reply within the window"
	}
	return fmt.Sprintf("OK (%d completed)", o.done)
}

// env is what an attack needs: the server's address and A's key.
type env struct {
	addr string
	keyA string
}

// attack is one row: run drives tenant A until ctx is done.
type attack struct {
	name string
	run  func(ctx context.Context, e env, o *outcome)
}

// phase is a data set of tenant A and the attacks that run against it.
type phase struct {
	name    string
	load    func(e env, sc scale) error
	attacks []attack
}

// scale holds the data sizes, so that a quick run can shrink them.
type scale struct {
	keys     int // tenant A's keyspace in the walks phase
	list     int // elements of the LRANGE list
	sortList int // elements SORT BY/GET sorts
}

// withConn runs body on conns connections of tenant A at once until ctx is
// done. A hostile tenant does not stop when the server drops it: when body
// returns (its connection failed) it dials again and starts over. The
// connections are closed when ctx is done, so that every blocked read or
// write returns.
func withConn(ctx context.Context, e env, o *outcome, conns, rbuf int, body func(c *conn)) {
	var wg sync.WaitGroup
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				c, err := dialAuthBuf(e.addr, e.keyA, rbuf)
				if err != nil {
					o.fail(ctx, describe(err))
					// The server may be dead or refusing: no busy loop.
					time.Sleep(100 * time.Millisecond)
					continue
				}
				stop := context.AfterFunc(ctx, c.close)
				body(c)
				stop()
				c.close()
			}
		}()
	}
	wg.Wait()
}

// loop repeats one command (or a pipelined batch) on each connection until
// the window ends. The batch is encoded once and its replies skipped
// unread, as cheaply as a client can. A failed batch is recorded and the
// loop goes on while the connection works: a server that refuses one
// attack may accept the next.
func loop(conns int, cmds [][]string) func(ctx context.Context, e env, o *outcome) {
	var payload []byte
	for _, cmd := range cmds {
		payload = resptest.AppendCommand(payload, cmd...)
	}
	return func(ctx context.Context, e env, o *outcome) {
		withConn(ctx, e, o, conns, attackReadBuf, func(c *conn) {
			for ctx.Err() == nil {
				if err := pipelineRaw(c, payload, len(cmds)); err != nil {
					o.fail(ctx, describe(err))
					if _, ok := err.(replyError); !ok {
						return
					}
					continue
				}
				o.ok()
			}
		})
	}
}

func one(args ...string) [][]string { return [][]string{args} }

// scanCycles walks the whole keyspace with SCAN COUNT 1000, as a tenant's
// tooling would, over and over; each SCAN call counts as one command.
func scanCycles(ctx context.Context, e env, o *outcome) {
	withConn(ctx, e, o, 1, attackReadBuf, func(c *conn) {
		cursor := "0"
		for ctx.Err() == nil {
			err := c.send("SCAN", cursor, "COUNT", "1000")
			if err == nil {
				err = c.flush()
			}
			var next string
			if err == nil {
				next, err = c.scanCursor()
			}
			if err != nil {
				o.fail(ctx, describe(err))
				if _, ok := err.(replyError); !ok {
					return
				}
				continue
			}
			cursor = next
			o.ok()
		}
	})
}

// idleWaiters parks 50 BLPOPs on keys nobody pushes to, and waits: they
// cost nothing but their presence.
func idleWaiters(ctx context.Context, e env, o *outcome) {
	withConn(ctx, e, o, 50, readBuf, func(c *conn) {
		if err := c.send("BLPOP", "never:"+strconv.Itoa(rand.IntN(1<<30)), "0"); err != nil {
			o.fail(ctx, describe(err))
			return
		}
		if err := c.flush(); err != nil {
			o.fail(ctx, describe(err))
			return
		}
		o.ok()
		// A reply before the window ends would be an error: nothing pushes.
		if rep, err := c.read(false); err != nil {
			o.fail(ctx, describe(err))
		} else {
			o.fail(ctx, "BLPOP returned: "+rep.str)
		}
		// Park again on a new connection, but not in a tight loop.
		time.Sleep(100 * time.Millisecond)
	})
}

// bigArguments streams `SET arg:<i> <100 MB>` on 20 connections at once,
// from one shared 1 MiB buffer, over and over.
func bigArguments(ctx context.Context, e env, o *outcome) {
	const size = 100 << 20
	chunk := []byte(strings.Repeat("x", 1<<20))
	withConn(ctx, e, o, 20, readBuf, func(c *conn) {
		for i := 0; ctx.Err() == nil; i++ {
			head := fmt.Sprintf("*3\r\n$3\r\nSET\r\n$%d\r\narg:%d\r\n$%d\r\n", len("arg:")+len(strconv.Itoa(i)), i, size)
			if _, err := c.c.Write([]byte(head)); err != nil {
				o.fail(ctx, describe(err))
				return
			}
			for sent := 0; sent < size; sent += len(chunk) {
				if _, err := c.c.Write(chunk); err != nil {
					// The server may refuse early and close: its reply,
					// if any, says why.
					if rep, rerr := c.read(false); rerr == nil && rep.kind == '-' {
						o.fail(ctx, rep.str)
					} else {
						o.fail(ctx, describe(err))
					}
					return
				}
			}
			if _, err := c.c.Write([]byte("\r\n")); err != nil {
				o.fail(ctx, describe(err))
				return
			}
			rep, err := c.read(false)
			if err != nil {
				o.fail(ctx, describe(err))
				return
			}
			if rep.kind == '-' {
				o.fail(ctx, rep.str)
				continue
			}
			o.ok()
		}
	})
}

// trackingStorm has 50 of tenant A's connections read its string keys with
// client-side caching on (RESP3, CLIENT TRACKING ON), 16 random GETs at a
// time, while 2 of its connections overwrite them 16 at a time: the server
// remembers every read, up to A's share of the tracking table, and sends
// an invalidation to every reader of each key overwritten.
func trackingStorm(keys int, tracking bool) func(ctx context.Context, e env, o *outcome) {
	setup := [][]string{{"HELLO", "3"}}
	if tracking {
		setup = append(setup, []string{"CLIENT", "TRACKING", "ON"})
	}
	batch := func(rng *rand.Rand, cmd ...string) []byte {
		var b []byte
		for range 16 {
			args := append([]string{cmd[0], "key:" + strconv.Itoa(rng.IntN(keys))}, cmd[1:]...)
			b = resptest.AppendCommand(b, args...)
		}
		return b
	}
	return func(ctx context.Context, e env, o *outcome) {
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			withConn(ctx, e, o, 2, attackReadBuf, func(c *conn) {
				rng := rand.New(rand.NewPCG(rand.Uint64(), 1))
				for ctx.Err() == nil {
					if err := pipelineRaw(c, batch(rng, "SET", "v"), 16); err != nil {
						o.fail(ctx, describe(err))
						return
					}
				}
			})
		}()
		withConn(ctx, e, o, 50, attackReadBuf, func(c *conn) {
			for _, args := range setup {
				if err := pipelineRaw(c, resptest.AppendCommand(nil, args...), 1); err != nil {
					o.fail(ctx, describe(err))
					return
				}
			}
			rng := rand.New(rand.NewPCG(rand.Uint64(), 2))
			for ctx.Err() == nil {
				if err := pipelineRaw(c, batch(rng, "GET"), 16); err != nil {
					o.fail(ctx, describe(err))
					return
				}
				o.ok()
			}
		})
		wg.Wait()
	}
}

// manyMembers is cmd key followed by n distinct members of size bytes.
func manyMembers(cmd, key string, n, size int) []string {
	args := []string{cmd, key}
	pad := strings.Repeat("m", size)
	for i := range n {
		m := strconv.Itoa(i) + pad
		args = append(args, m[:size])
	}
	return args
}

// pipeOfSets is n SETs of size-byte values over 1,000 keys, one batch.
func pipeOfSets(n, size int) [][]string {
	cmds := make([][]string, n)
	v := strings.Repeat("v", size)
	for i := range cmds {
		cmds[i] = []string{"SET", "pipe:" + strconv.Itoa(i%1000), v}
	}
	return cmds
}

func multiOf(n int, cmd func(i int) []string) [][]string {
	cmds := make([][]string, 0, n+2)
	cmds = append(cmds, []string{"MULTI"})
	for i := 0; i < n; i++ {
		cmds = append(cmds, cmd(i))
	}
	return append(cmds, []string{"EXEC"})
}

// The glob of issue 10: twelve stars before a 'b' no key contains, over
// keys made of 'a's, makes a backtracking matcher try every way to place
// the stars.
const evilGlob = "*a*a*a*a*a*a*a*a*a*a*a*a*b"

// phases are the rows of the table, in order. The memory attacks come last:
// on a server without bounds each of them ends in a restart.
func phases(sc scale) []phase {
	return []phase{{
		name: fmt.Sprintf("walks: tenant A holds %s keys (a list of %s elements, a list of %s with its SORT BY and GET keys, strings)",
			count(sc.keys), count(sc.list), count(sc.sortList)),
		load: loadWalks,
		attacks: []attack{
			{"`SCAN` COUNT 1000, full cycles, over " + count(sc.keys) + " keys", scanCycles},
			{"`KEYS *` over " + count(sc.keys) + " keys", loop(1, one("KEYS", "*"))},
			{"`SORT sortme BY w_* GET o_*` over " + count(sc.sortList) + " elements", loop(1, one("SORT", "sortme", "BY", "w_*", "GET", "o_*"))},
			{"`LRANGE list 0 -1` over " + count(sc.list) + " elements", loop(1, one("LRANGE", "list", "0", "-1"))},
			{"50 idle `BLPOP` waiters", idleWaiters},
			{"`MULTI` of 10k `SET`s", loop(1, multiOf(10_000, func(i int) []string {
				return []string{"SET", "m:" + strconv.Itoa(i), "v"}
			}))},
			// The most a tenant's MULTI may hold: EXEC runs it under every
			// lock it needs, so it has no chance to yield.
			{"`MULTI` of 256 `SET`s (a tenant's most)", loop(1, multiOf(256, func(i int) []string {
				return []string{"SET", "m:" + strconv.Itoa(i), "v"}
			}))},
			// The same reads and writes without tracking and with it: what
			// tracking adds is the difference between the two rows.
			{"50 connections read 16 keys at a time (RESP3, no tracking) while 2 overwrite them", trackingStorm(sc.keys-2-2*sc.sortList, false)},
			{"50 connections read 16 keys at a time with `CLIENT TRACKING ON` while 2 overwrite them", trackingStorm(sc.keys-2-2*sc.sortList, true)},
		},
	}, {
		name: "glob: tenant A holds 1,000 keys of 60 'a's and a number",
		load: loadGlob,
		attacks: []attack{
			{"`KEYS " + evilGlob + "` over 1,000 keys", loop(1, one("KEYS", evilGlob))},
		},
	}, {
		name: "memory: tenant A holds a list of 50,000 empty elements, a 90 KB and a 10 MB value, two 11,000-byte strings",
		load: loadMemory,
		attacks: []attack{
			{"20 connections sending 100 MB arguments (`SET`)", bigArguments},
			// Many arguments of a few KB: the reader once grew its buffer
			// a few KB at a time for these and copied the command 460
			// times (0.2-0.9 s of the processor per command).
			{"`SADD` of the same 2,000 members of 2 KB (4 MB commands)", loop(1, one(manyMembers("SADD", "s4m", 2000, 2000)...))},
			// A bulk load as redis-cli --pipe sends it: the connection's
			// reads keep finding input, so it never waits for the poller.
			{"a pipe of 500 `SET`s of 12 KB (6 MB batches)", loop(1, pipeOfSets(500, 12_000))},
			{"`SORT_RO L BY nosort GET big*` (50,000 x 90 KB)", loop(1, one("SORT_RO", "L", "BY", "nosort", "GET", "big*"))},
			// 256 GETs, a tenant's most (300 are refused): 2.5 GB of replies.
			{"`MULTI` of 256 x `GET` of a 10 MB value", loop(1, multiOf(256, func(int) []string { return []string{"GET", "big10m"} }))},
			{"8 concurrent `LCS` of two 11,000-byte strings", loop(8, one("LCS", "s1", "s2"))},
		},
	}}
}

// count writes n with thousands separators, as the table's names do.
func count(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// load sends cmds to tenant key on one pipelined connection.
func load(e env, key string, cmds [][]string) error {
	c, err := dialAuth(e.addr, key)
	if err != nil {
		return err
	}
	defer c.close()
	return pipeline(c, cmds)
}

// batched groups fixed-arity arguments into commands of at most per items
// each (MSET k v k v ..., RPUSH l e e ...), so that a million keys load in
// a thousand commands.
func batched(head []string, n, per int, item func(i int) []string) [][]string {
	var cmds [][]string
	for i := 0; i < n; i += per {
		cmd := append([]string(nil), head...)
		for j := i; j < min(i+per, n); j++ {
			cmd = append(cmd, item(j)...)
		}
		cmds = append(cmds, cmd)
	}
	return cmds
}

func loadVictim(e env, keyB string) error {
	return load(e, keyB, batched([]string{"MSET"}, victimKeys, 1000, func(i int) []string {
		return []string{"b:" + strconv.Itoa(i), victimValue}
	}))
}

// loadWalks fills A's keyspace with exactly sc.keys keys: the two lists,
// the SORT list's weight and object keys, and plain strings for the rest.
func loadWalks(e env, sc scale) error {
	cmds := [][]string{{"FLUSHDB"}}
	cmds = append(cmds, batched([]string{"RPUSH", "list"}, sc.list, 1000, func(i int) []string {
		return []string{strconv.Itoa(i)}
	})...)
	rng := rand.New(rand.NewPCG(1, 2))
	cmds = append(cmds, batched([]string{"RPUSH", "sortme"}, sc.sortList, 1000, func(i int) []string {
		return []string{strconv.Itoa(i)}
	})...)
	cmds = append(cmds, batched([]string{"MSET"}, sc.sortList, 1000, func(i int) []string {
		n := strconv.Itoa(i)
		return []string{"w_" + n, strconv.Itoa(rng.IntN(1 << 30)), "o_" + n, "object-" + n}
	})...)
	strs := sc.keys - 2 - 2*sc.sortList
	cmds = append(cmds, batched([]string{"MSET"}, strs, 1000, func(i int) []string {
		return []string{"key:" + strconv.Itoa(i), "value-" + strconv.Itoa(i)}
	})...)
	if err := load(e, e.keyA, cmds); err != nil {
		return err
	}
	return expectDBSize(e, int64(sc.keys))
}

func loadGlob(e env, _ scale) error {
	cmds := [][]string{{"FLUSHDB"}}
	cmds = append(cmds, batched([]string{"MSET"}, 1000, 1000, func(i int) []string {
		return []string{strings.Repeat("a", 60) + strconv.Itoa(i), "v"}
	})...)
	if err := load(e, e.keyA, cmds); err != nil {
		return err
	}
	return expectDBSize(e, 1000)
}

func loadMemory(e env, _ scale) error {
	rng := rand.New(rand.NewPCG(3, 4))
	text := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('a' + rng.IntN(26))
		}
		return string(b)
	}
	cmds := [][]string{{"FLUSHDB"}}
	cmds = append(cmds, batched([]string{"RPUSH", "L"}, 50_000, 1000, func(int) []string { return []string{""} })...)
	cmds = append(cmds,
		[]string{"SET", "big", text(90_000)},
		[]string{"SET", "big10m", strings.Repeat("z", 10_000_000)},
		[]string{"SET", "s1", text(11_000)},
		[]string{"SET", "s2", text(11_000)},
	)
	if err := load(e, e.keyA, cmds); err != nil {
		return err
	}
	return expectDBSize(e, 5)
}

// expectDBSize checks the load really landed: a refused write in a
// pipeline would otherwise leave the attacks running against less data.
func expectDBSize(e env, want int64) error {
	c, err := dialAuth(e.addr, e.keyA)
	if err != nil {
		return err
	}
	defer c.close()
	rep, err := c.do("DBSIZE")
	if err != nil {
		return fmt.Errorf("DBSIZE: %w", err)
	}
	if rep.n != want {
		return fmt.Errorf("tenant A holds %d keys after loading, want %d", rep.n, want)
	}
	return nil
}

// settle waits for the server to answer PING again after a row, so that
// the tail of one attack is not measured in the next row.
func settle(addr, key string, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		c, err := dialAuth(addr, key)
		if err == nil {
			_ = c.c.SetDeadline(deadline)
			_, err = c.do("PING")
			c.close()
			if err == nil {
				return true
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}
