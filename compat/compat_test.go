// Package compat runs go-redis against Synap and, when redis-server is
// installed, against a real Redis with the very same expectations. A case
// that passes on Redis proves its expectation is what Redis really does; the
// Synap targets then show where Synap differs.
package compat

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"synap/resp/resptest"
)

// compatPassword is the requirepass of the servers every target keeps for
// the AUTH cases.
const compatPassword = "compat-s3cret"

// testCase is one behaviour checked on every target.
type testCase struct {
	name string
	// synapOnly, when set, says why the case cannot run on Redis 7.0.15
	// (Debian's version); the case then runs on Synap targets only.
	synapOnly string
	// redisOnly, when set, says which Redis feature Synap deliberately
	// lacks; keep it rare.
	redisOnly string
	// serverWide, when set, says why the case cannot run as a tenant: it
	// uses what only the server's operator may (CONFIG SET, SHUTDOWN,
	// databases other than 0...). The cluster targets skip it.
	serverWide string
	// needs lists commands of families not every target has yet (the other
	// data types): on a target without them the case is skipped, naming
	// them, and it runs by itself once they land.
	needs []string
	fn    func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target)
}

// groups are the families of cases; each cases_*.go file fills one.
var groups = []struct {
	name  string
	cases *[]testCase
}{
	{"connection", &connectionCases},
	{"strings", &stringCases},
	{"keys", &keyCases},
	{"server", &serverCases},
	{"errors", &errorCases},
	{"hashes", &hashCases},
	{"lists", &listCases},
	{"sets", &setCases},
	{"zsets", &zsetCases},
	{"hll", &hllCases},
	{"bitmaps", &bitmapCases},
	{"geo", &geoCases},
	{"transactions", &txCases},
	{"sort", &sortCases},
	{"streams", &streamCases},
}

func TestCompat(t *testing.T) {
	// Redis first: its results prove the expectations Synap is held to.
	targets, reason := startRedisTargets(t)
	if reason != "" {
		for _, name := range []string{"redis-resp2", "redis-resp3"} {
			t.Run(name, func(t *testing.T) { resptest.SkipWithoutRedis(t, reason) })
		}
	}
	targets = append(targets, synapTargets(t)...)
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			for _, g := range groups {
				t.Run(g.name, func(t *testing.T) {
					for _, c := range *g.cases {
						t.Run(c.name, func(t *testing.T) { runCase(t, tg, c) })
					}
				})
			}
		})
	}
}

func runCase(t *testing.T, tg *target, c testCase) {
	if c.synapOnly != "" && tg.kind == kindRedis {
		t.Skip("synap-only: " + c.synapOnly)
	}
	if c.redisOnly != "" && tg.kind != kindRedis {
		t.Skip("redis-only: " + c.redisOnly)
	}
	if c.serverWide != "" && tg.kind == kindSynapCluster {
		t.Skip("server-wide, refused to tenants: " + c.serverWide)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	admin := tg.client(t, nil)
	for _, name := range c.needs {
		info, err := admin.Do(ctx, "COMMAND", "INFO", name).Slice()
		if err != nil || len(info) != 1 || info[0] == nil {
			t.Skipf("needs %s, which this server does not have yet", strings.ToUpper(name))
		}
	}
	if err := admin.FlushAll(ctx).Err(); err != nil {
		t.Fatalf("FLUSHALL before the case: %v", err)
	}
	c.fn(ctx, t, tg.client(t, nil), tg)
}

// resulter is any go-redis command with a typed result.
type resulter[T any] interface {
	Args() []interface{}
	Result() (T, error)
}

// errer is any go-redis command.
type errer interface {
	Args() []interface{}
	Err() error
}

// must returns the command's value and fails the test on any error.
func must[T any](t *testing.T, c resulter[T]) T {
	t.Helper()
	v, err := c.Result()
	if err != nil {
		t.Fatalf("%v: unexpected error %q", c.Args(), err)
	}
	return v
}

// want checks the command's value and that it did not fail.
func want[T any](t *testing.T, c resulter[T], expected T) {
	t.Helper()
	v, err := c.Result()
	if err != nil {
		t.Errorf("%v: error %q, want %#v", c.Args(), err, expected)
		return
	}
	if !reflect.DeepEqual(v, expected) {
		t.Errorf("%v: got %#v, want %#v", c.Args(), v, expected)
	}
}

// wantErr checks the exact error text of a command.
func wantErr(t *testing.T, c errer, text string) {
	t.Helper()
	err := c.Err()
	switch {
	case err == nil:
		t.Errorf("%v: no error, want %q", c.Args(), text)
	case err.Error() != text:
		t.Errorf("%v: error %q, want %q", c.Args(), err.Error(), text)
	}
}

// wantNil checks that the command replied with a null.
func wantNil(t *testing.T, c errer) {
	t.Helper()
	switch err := c.Err(); {
	case err == nil:
		t.Errorf("%v: got a value (%v), want nil", c.Args(), c)
	case !errors.Is(err, redis.Nil):
		t.Errorf("%v: error %q, want nil", c.Args(), err)
	}
}

// setup runs a command the case needs as its starting point; without it
// the rest of the case means nothing, so a failure stops the case.
func setup(t *testing.T, c errer) {
	t.Helper()
	if err := c.Err(); err != nil {
		t.Fatalf("setup %v: %v", c.Args(), err)
	}
}

// wantOK checks that the command succeeded, whatever its value.
func wantOK(t *testing.T, c errer) {
	t.Helper()
	if err := c.Err(); err != nil {
		t.Errorf("%v: unexpected error %q", c.Args(), err)
	}
}

// wantBetween checks an integer reply that depends on the clock (a TTL just
// set) against the range it must fall in.
func wantBetween[T int64 | time.Duration](t *testing.T, c resulter[T], lo, hi T) {
	t.Helper()
	v, err := c.Result()
	if err != nil {
		t.Errorf("%v: error %q, want %v..%v", c.Args(), err, lo, hi)
		return
	}
	if v < lo || v > hi {
		t.Errorf("%v: got %v, want %v..%v", c.Args(), v, lo, hi)
	}
}

// byProto picks the expectation for the target's protocol.
func byProto[T any](tg *target, resp2, resp3 T) T {
	if tg.proto == 3 {
		return resp3
	}
	return resp2
}
