package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"synap/resp/resptest"
)

// TestCLIImport loads the file redis-server writes on SAVE into a running
// Synap and reads every key back, its deadline included.
func TestCLIImport(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	rc := resptest.StartRedis(t, "--dir", dir)
	red := redis.NewClient(&redis.Options{Addr: rc.Conn.RemoteAddr().String(), Protocol: 2})
	defer red.Close()
	red.Set(ctx, "s", strings.Repeat("ab", 500), 0)
	red.PExpireAt(ctx, "s", time.UnixMilli(4102444800123))
	red.RPush(ctx, "l", "a", "1")
	red.SAdd(ctx, "st", "x")
	red.HSet(ctx, "h", "f", "v")
	red.ZAdd(ctx, "z", redis.Z{Score: 2.5, Member: "m"})
	// A stream, which Redis users move over with its groups.
	red.XAdd(ctx, &redis.XAddArgs{Stream: "x", ID: "5-1", Values: []string{"f", "v"}})
	red.XGroupCreate(ctx, "x", "g", "0")
	red.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c", Streams: []string{"x", ">"}})
	if err := red.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}

	_, addr, _ := cliStart(t, "--port", "0")
	out, err := cliCommand(t, "import", filepath.Join(dir, "dump.rdb"), "--addr", addr).CombinedOutput()
	if err != nil || string(out) != "imported 6 keys\n" {
		t.Fatalf("synap import: %v: %s", err, out)
	}
	syn := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	defer syn.Close()
	if v := syn.Get(ctx, "s").Val(); v != strings.Repeat("ab", 500) {
		t.Errorf("s: %.40q", v)
	}
	if at := syn.PExpireTime(ctx, "s").Val().Milliseconds(); at != 4102444800123 {
		t.Errorf("s expires at %d", at)
	}
	if v := syn.LRange(ctx, "l", 0, -1).Val(); strings.Join(v, ",") != "a,1" {
		t.Errorf("l: %q", v)
	}
	if v := syn.SMembers(ctx, "st").Val(); len(v) != 1 || v[0] != "x" {
		t.Errorf("st: %q", v)
	}
	if v := syn.HGet(ctx, "h", "f").Val(); v != "v" {
		t.Errorf("h: %q", v)
	}
	if v := syn.ZScore(ctx, "z", "m").Val(); v != 2.5 {
		t.Errorf("z: %v", v)
	}
	if v := syn.XPending(ctx, "x", "g").Val(); v == nil || v.Count != 1 || v.Lower != "5-1" || v.Consumers["c"] != 1 {
		t.Errorf("x: pending %+v", v)
	}
	if v := syn.XRange(ctx, "x", "-", "+").Val(); len(v) != 1 || v[0].ID != "5-1" || v[0].Values["f"] != "v" {
		t.Errorf("x: %+v", v)
	}
	// A file that is not an RDB file is refused and adds nothing.
	bad := filepath.Join(t.TempDir(), "bad.rdb")
	if err := os.WriteFile(bad, []byte("REDIS0010garbage-garbage-garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = cliCommand(t, "import", bad, "--addr", addr).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "rdb: bad file (0 keys imported before)") {
		t.Fatalf("import of a damaged file: %v: %s", err, out)
	}
}
