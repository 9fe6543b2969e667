package compat

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"synap/resp/resptest"
)

// Every row of Synap's command table that Redis also has must say what
// Redis's COMMAND INFO says: arity, flags, key positions and ACL
// categories. The table drives arity errors, permissions, quotas and
// locking, so a wrong row is a wrong behaviour somewhere.
func TestCommandTableMatchesRedis(t *testing.T) {
	resptest.NeedRedisServer(t)
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: startRedis(t).addr, Protocol: 2})
	s := redis.NewClient(&redis.Options{Addr: startSynap(t, "").Addr().String(), Protocol: 2})
	defer r.Close()
	defer s.Close()
	ours := commandInfos(t, ctx, s)
	theirs := commandInfos(t, ctx, r)
	names := make([]string, 0, len(ours))
	for name := range ours {
		names = append(names, name)
	}
	sort.Strings(names)
	compared := 0
	for _, name := range names {
		want, ok := theirs[name]
		if !ok {
			continue // Synap's own (TENANT) or newer than Redis 7.0 (WITHSCORE is arity, not a row)
		}
		compared++
		if why, ok := newerThanRedis70[name]; ok {
			t.Logf("%s differs on purpose: %s", name, why)
			continue
		}
		if got := ours[name]; !reflect.DeepEqual(got, want) {
			t.Errorf("COMMAND INFO %s:\n synap %v\n redis %v", name, got, want)
		}
	}
	t.Logf("%d rows compared with redis-server", compared)
}

// newerThanRedis70 are rows that follow a later Redis than Debian's 7.0.15.
var newerThanRedis70 = map[string]string{
	"zrank":    "WITHSCORE (Redis 7.2) makes the arity -3",
	"zrevrank": "WITHSCORE (Redis 7.2) makes the arity -3",
}

// commandInfos is every command and subcommand's COMMAND INFO head: name,
// arity, flags, first, last and step key, ACL categories.
func commandInfos(t *testing.T, ctx context.Context, c *redis.Client) map[string]string {
	t.Helper()
	raw, err := c.Do(ctx, "COMMAND").Slice()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	var walk func(entry []interface{})
	walk = func(e []interface{}) {
		name := fmt.Sprint(e[0])
		flags := strs(e[2])
		sort.Strings(flags)
		acl := strs(e[6])
		sort.Strings(acl)
		out[name] = fmt.Sprintf("arity=%v flags=%s keys=%v,%v,%v acl=%s", e[1], strings.Join(flags, ","), e[3], e[4], e[5], strings.Join(acl, ","))
		if len(e) > 9 {
			for _, sub := range e[9].([]interface{}) {
				walk(sub.([]interface{}))
			}
		}
	}
	for _, e := range raw {
		walk(e.([]interface{}))
	}
	return out
}

func strs(v interface{}) []string {
	var out []string
	for _, x := range v.([]interface{}) {
		out = append(out, fmt.Sprint(x))
	}
	return out
}
