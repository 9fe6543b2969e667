package commands

import (
	"bufio"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"synap/resp/resptest"
	"synap/tenant"
)

func init() {
	isolationExamples["client|pause"] = [][]string{{"client", "pause", "10", "write"}}
	isolationExamples["client|unpause"] = [][]string{{"client", "unpause"}}
	permissionModel["client|pause"] = tenant.NeedAdmin
	permissionModel["client|unpause"] = tenant.NeedAdmin
}

// silent reports whether c has no reply for d: the command it sent is
// being held.
func silent(t *testing.T, c *resptest.Client, d time.Duration) bool {
	t.Helper()
	_ = c.Conn.SetReadDeadline(time.Now().Add(d))
	_, err := c.R.Peek(1)
	_ = c.Conn.SetReadDeadline(time.Time{})
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
		t.Fatalf("waiting for a reply: %v", err)
	}
	return false
}

// waitHeld waits until CLIENT LIST shows connection id blocked (flags
// has b, beside x in MULTI).
func waitHeld(t *testing.T, ctl *resptest.Client, id string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if l := pausedLine(ctl, id); strings.Contains(strings.Fields(l)[0], "b") {
			return
		}
	}
	t.Fatalf("client %s never held: %s", id, pausedLine(ctl, id))
}

// pausedLine is what CLIENT LIST says of a held connection: its flags and
// the command it holds.
func pausedLine(ctl *resptest.Client, id string) string {
	l := ctl.Do("CLIENT", "LIST", "ID", id)
	_, flags, _ := strings.Cut(l, " flags=")
	flags, _, _ = strings.Cut(flags, " ")
	_, cmd, _ := strings.Cut(l, " cmd=")
	cmd, _, _ = strings.Cut(cmd, " ")
	return "flags=" + flags + " cmd=" + cmd
}

// TestClientPauseDifferential holds commands with CLIENT PAUSE on both
// servers and compares, step by step, the errors, what is held and what
// is not, what CLIENT LIST and INFO show of a held connection, and the
// replies once UNPAUSE lets it go.
func TestClientPauseDifferential(t *testing.T) {
	red := resptest.StartRedis(t)
	redAddr := red.Conn.RemoteAddr().String()
	synAddr := startServer(t).Addr().String()
	run := func(addr string) []string {
		ctl, p := dialAddr(t, addr), dialAddr(t, addr)
		id := strings.TrimPrefix(p.Do("CLIENT", "ID"), ":")
		out := []string{
			ctl.Do("CLIENT", "PAUSE", "10", "write", "x"),
			ctl.Do("CLIENT", "PAUSE", "abc", "foo"),
			ctl.Do("CLIENT", "PAUSE", "-1"),
			ctl.Do("CLIENT", "PAUSE", "00100"),
			ctl.Do("CLIENT", "PAUSE", "1.5"),
			ctl.Do("CLIENT", "PAUSE", "abc"),
			ctl.Do("CLIENT", "PAUSE"),
			ctl.Do("CLIENT", "UNPAUSE", "x"),
			// Past the clock's range the end wraps into the past: no pause.
			ctl.Do("CLIENT", "PAUSE", "9223372036854775807"),
			p.Do("SET", "a", "1"),
			ctl.Do("CLIENT", "PAUSE", "0", "WRITE"),
			p.Do("SET", "a", "1"),
		}
		held := func(cmd ...string) {
			if err := p.Send(string(resptest.Encode(cmd...))); err != nil {
				t.Fatal(err)
			}
			waitHeld(t, ctl, id)
			out = append(out, strings.Join(cmd, " ")+" held: "+pausedLine(ctl, id))
		}
		// WRITE: reads go on, writes and commands that may replicate wait.
		out = append(out, ctl.Do("CLIENT", "PAUSE", "20000", "write"), p.Do("GET", "a"), p.Do("EXISTS", "a"))
		held("SET", "a", "2")
		_, blocked, _ := strings.Cut(ctl.Do("INFO", "clients"), "blocked_clients:")
		blocked, _, _ = strings.Cut(blocked, "\\r")
		out = append(out, blocked, ctl.Do("GET", "a"), ctl.Do("CLIENT", "UNPAUSE"), p.Read(), ctl.Do("GET", "a"))
		out = append(out, ctl.Do("CLIENT", "PAUSE", "20000", "WRITE"))
		held("PUBLISH", "ch", "m")
		out = append(out, ctl.Do("CLIENT", "UNPAUSE"), p.Read())
		// In MULTI a write waits to be queued; EXEC waits when its queue
		// writes, and runs at once when it only reads.
		out = append(out, p.Do("MULTI"), p.Do("GET", "a"), ctl.Do("CLIENT", "PAUSE", "20000", "WRITE"), p.Do("EXEC"))
		out = append(out, p.Do("MULTI"))
		held("INCR", "a")
		out = append(out, ctl.Do("CLIENT", "UNPAUSE"), p.Read(), ctl.Do("CLIENT", "PAUSE", "20000", "WRITE"))
		held("EXEC")
		out = append(out, ctl.Do("GET", "a"), ctl.Do("CLIENT", "UNPAUSE"), p.Read())
		// What was pipelined behind a held command waits with it, in order.
		out = append(out, ctl.Do("CLIENT", "PAUSE", "20000", "WRITE"))
		if err := p.Send(string(resptest.Encode("SET", "b", "1")) + string(resptest.Encode("GET", "b"))); err != nil {
			t.Fatal(err)
		}
		waitHeld(t, ctl, id)
		out = append(out, ctl.Do("CLIENT", "UNPAUSE"), p.Read(), p.Read())
		// ALL holds every command, CLIENT UNPAUSE and the pauser's own
		// included, until the pause ends.
		out = append(out, ctl.Do("CLIENT", "PAUSE", "1500", "ALL"))
		if err := p.Send(string(resptest.Encode("PING"))); err != nil {
			t.Fatal(err)
		}
		if err := ctl.Send(string(resptest.Encode("CLIENT", "UNPAUSE"))); err != nil {
			t.Fatal(err)
		}
		out = append(out, "PING silent during ALL: "+boolText(silent(t, p, 300*time.Millisecond)),
			"UNPAUSE silent during ALL: "+boolText(silent(t, ctl, 10*time.Millisecond)), p.Read(), ctl.Read())
		return out
	}
	want := run(redAddr)
	sameReplies(t, run(synAddr), want)
}

func boolText(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// TestClientPauseIsTenantScoped: in cluster mode a tenant's admin key
// pauses only its own tenant's connections, cannot lift another tenant's
// pause or the operator's, and a key without admin cannot pause at all.
// The operator's UNPAUSE lifts every pause, the way out of a tenant's
// ALL pause that holds its own UNPAUSE.
func TestClientPauseIsTenantScoped(t *testing.T) {
	f := startCluster(t)
	admin, rw, bob, bobAdmin := f.as(t, "alice-admin"), f.as(t, "alice-rw"), f.as(t, "bob-rw"), f.as(t, "bob-admin")
	id := strings.TrimPrefix(rw.Do("CLIENT", "ID"), ":")
	if got, want := rw.Do("CLIENT", "PAUSE", "20000"), "-"+NoPermErr("alice-rw", "client|pause"); got != want {
		t.Fatalf("CLIENT PAUSE without admin: %s, want %s", got, want)
	}
	steps := []struct {
		c    *resptest.Client
		cmd  []string
		want string
	}{
		{admin, []string{"CLIENT", "PAUSE", "20000", "WRITE"}, "+OK"},
		{bob, []string{"SET", "k", "bob's"}, "+OK"}, // another tenant is not held
		{bobAdmin, []string{"CLIENT", "UNPAUSE"}, "+OK"},
	}
	for _, s := range steps[:1] {
		if got := s.c.Do(s.cmd...); got != s.want {
			t.Fatalf("%q: %s, want %s", s.cmd, got, s.want)
		}
	}
	if err := rw.Send(string(resptest.Encode("SET", "k", "alice's"))); err != nil {
		t.Fatal(err)
	}
	waitBlocked(t, admin, id)
	for _, s := range steps[1:] {
		if got := s.c.Do(s.cmd...); got != s.want {
			t.Fatalf("%q: %s, want %s", s.cmd, got, s.want)
		}
	}
	// Bob's UNPAUSE lifted only bob's (none): alice's SET is still held.
	if !silent(t, rw, 100*time.Millisecond) {
		t.Fatalf("alice's SET was let go by bob's UNPAUSE: %s", rw.Read())
	}
	if got := admin.Do("CLIENT", "UNPAUSE"); got != "+OK" {
		t.Fatalf("alice's UNPAUSE: %s", got)
	}
	if got := rw.Read(); got != "+OK" {
		t.Fatalf("alice's held SET after UNPAUSE: %s", got)
	}
	// ALL holds alice's own UNPAUSE; the operator lifts it.
	if got := admin.Do("CLIENT", "PAUSE", "600000", "ALL"); got != "+OK" {
		t.Fatalf("CLIENT PAUSE ALL: %s", got)
	}
	if err := admin.Send(string(resptest.Encode("CLIENT", "UNPAUSE"))); err != nil {
		t.Fatal(err)
	}
	if got := bob.Do("GET", "k"); got != `"bob's"` {
		t.Fatalf("bob's GET under alice's ALL pause: %s", got)
	}
	if !silent(t, admin, 100*time.Millisecond) {
		t.Fatalf("alice's UNPAUSE ran during her ALL pause: %s", admin.Read())
	}
	if got := f.as(t, "operator").Do("CLIENT", "UNPAUSE"); got != "+OK" {
		t.Fatalf("operator's UNPAUSE: %s", got)
	}
	if got := admin.Read(); got != "+OK" {
		t.Fatalf("alice's UNPAUSE after the operator's: %s", got)
	}
	if got := rw.Do("GET", "k"); got != `"alice's"` {
		t.Fatalf("alice's GET: %s", got)
	}
}

// holdSet has admin pause writes and rw send SET k v, held.
func holdSet(t *testing.T, admin, rw *resptest.Client) {
	t.Helper()
	id := strings.TrimPrefix(rw.Do("CLIENT", "ID"), ":")
	if got := admin.Do("CLIENT", "PAUSE", "20000", "WRITE"); got != "+OK" {
		t.Fatal(got)
	}
	if err := rw.Send(string(resptest.Encode("SET", "k", "v"))); err != nil {
		t.Fatal(err)
	}
	waitHeld(t, admin, id)
}

// TestHostilePausedCommandEndedWhenRevoked: a command held by a pause is a
// parked connection like any blocked one, re-authorised when the tenants
// change: its key revoked, it ends with WRONGPASS instead of running when
// the pause ends.
func TestHostilePausedCommandEndedWhenRevoked(t *testing.T) {
	f := startCluster(t)
	admin, rw := f.as(t, "alice-admin"), f.as(t, "alice-rw")
	holdSet(t, admin, rw)
	f.rewrite(t, keysWith("alice-rw", revoked))
	if got := rw.Read(); got != wrongPass {
		t.Fatalf("the held SET: %s, want %s", got, wrongPass)
	}
	if got := admin.Do("CLIENT", "UNPAUSE"); got != "+OK" {
		t.Fatal(got)
	}
	if got := admin.Do("EXISTS", "k"); got != ":0" {
		t.Fatalf("the revoked key's SET ran: EXISTS %s", got)
	}
}

// TestHostilePausedWriteUnderQuota: a write held by a pause, of a tenant
// with quotas, is not served as a blocked pop would be when it parks (a
// held SET once reached the storage quota's check with none of its keys
// locked, and the panic stopped the server); it runs, quota and all, once
// the pause is lifted.
func TestHostilePausedWriteUnderQuota(t *testing.T) {
	f := startClusterWith(t, append(slices.Clone(clusterKeys), clusterKey{id: "carol-admin", user: "carol", perms: "admin"}))
	admin, rw := f.as(t, "carol-admin"), f.as(t, "carol-rw")
	holdSet(t, admin, rw)
	if got := admin.Do("CLIENT", "UNPAUSE"); got != "+OK" {
		t.Fatal(got)
	}
	if got := rw.Read(); got != "+OK" {
		t.Fatalf("the held SET: %s", got)
	}
	if got := admin.Do("GET", "k"); got != `"v"` {
		t.Fatalf("GET: %s", got)
	}
}

// TestClientPauseHoldsOtherSurfaces: a command run one at a time (REST,
// WebSocket, MCP go through Call) is held as a RESP one is, and runs once
// the pause is lifted.
func TestClientPauseHoldsOtherSurfaces(t *testing.T) {
	srv := startServer(t)
	ctl := dial(t, srv)
	s, err := srv.NewSession(tenant.SurfaceREST, LocalTransport{Remote: "t", Local: "t"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := ctl.Do("CLIENT", "PAUSE", "20000", "WRITE"); got != "+OK" {
		t.Fatal(got)
	}
	done := make(chan string, 1)
	go func() {
		v, err := srv.Call(t.Context(), s, []byte("SET"), []byte("k"), []byte("v"))
		if err != nil {
			done <- err.Error()
			return
		}
		done <- string(v.Str)
	}()
	select {
	case got := <-done:
		t.Fatalf("the REST SET ran during the pause: %s", got)
	case <-time.After(200 * time.Millisecond):
	}
	if got := ctl.Do("GET", "k"); got != "nil" {
		t.Fatalf("GET during the pause: %s", got)
	}
	if got := ctl.Do("CLIENT", "UNPAUSE"); got != "+OK" {
		t.Fatal(got)
	}
	if got := <-done; got != "OK" {
		t.Fatalf("the REST SET after UNPAUSE: %s", got)
	}
}

func TestPauseMerge(t *testing.T) {
	const now = 1000
	cases := []struct {
		old        uint64
		end        int64
		all        bool
		wantEnd    int64
		wantAll    bool
		wantNoneAt bool
	}{
		{0, 2000, false, 2000, false, false},
		{pauseWord(5000, false), 2000, true, 5000, true, false},  // the later end, the stricter mode
		{pauseWord(1500, true), 3000, false, 3000, true, false},  // ALL stays ALL while it lasts
		{pauseWord(900, true), 3000, false, 3000, false, false},  // an ended pause counts for nothing
		{pauseWord(5000, false), 500, false, 5000, false, false}, // an end in the past extends nothing
		{0, 1000, true, 0, false, true},                          // ends now: no pause
		{0, -9223372036854775000, true, 0, false, true},          // wrapped past the range
	}
	for i, c := range cases {
		w := extend(c.old, c.end, c.all, now)
		if c.wantNoneAt {
			if w != 0 {
				t.Errorf("case %d: %x, want no pause", i, w)
			}
			continue
		}
		if end, all := pauseOf(w); end != c.wantEnd || all != c.wantAll {
			t.Errorf("case %d: end %d all %v, want %d %v", i, end, all, c.wantEnd, c.wantAll)
		}
	}
}

// TestClientPauseNeverLosesOrRepeats: pauses set and lifted over and over
// (WRITE, and short ALL ones) while 8 connections INCR one counter: every
// INCR is answered once and counted once, none lost in a held command's
// hand-over and none run twice by a wake racing its re-run.
func TestClientPauseNeverLosesOrRepeats(t *testing.T) {
	srv := startServer(t)
	const conns, each = 8, 200
	stop := make(chan struct{})
	toggled := make(chan int)
	go func() {
		ctl := dial(t, srv)
		n := 0
		defer func() { toggled <- n }()
		for {
			select {
			case <-stop:
				return
			default:
			}
			mode := "WRITE"
			if n%4 == 0 {
				mode = "ALL"
			}
			if got := ctl.Do("CLIENT", "PAUSE", "5", mode); got != "+OK" {
				t.Errorf("CLIENT PAUSE: %s", got)
				return
			}
			if got := ctl.Do("CLIENT", "UNPAUSE"); got != "+OK" {
				t.Errorf("CLIENT UNPAUSE: %s", got)
				return
			}
			n++
		}
	}()
	done := make(chan error, conns)
	for range conns {
		go func() {
			c, err := resptest.Dial(srv.Addr().String())
			if err != nil {
				done <- err
				return
			}
			defer c.Close()
			for range each {
				if got := c.Do("INCR", "n"); !strings.HasPrefix(got, ":") {
					done <- errors.New("INCR: " + got)
					return
				}
			}
			done <- nil
		}()
	}
	for range conns {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	if n := <-toggled; n == 0 {
		t.Fatal("no pause was set while the INCRs ran")
	}
	if got := dial(t, srv).Do("GET", "n"); got != `"1600"` {
		t.Fatalf("counter: %s, want 1600", got)
	}
}
