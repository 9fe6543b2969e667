package compat

import (
	"context"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

var errorCases = []testCase{
	{name: "unknown_command", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		long := strings.Repeat("x", 200)
		fifty := strings.Repeat("y", 50)
		for _, tc := range []struct {
			args []interface{}
			err  string
		}{
			{[]interface{}{"nosuch"}, "ERR unknown command 'nosuch', with args beginning with: "},
			{[]interface{}{"NoSuch", "a b", "c"}, "ERR unknown command 'NoSuch', with args beginning with: 'a b' 'c' "},
			{[]interface{}{"ge t", "a"}, "ERR unknown command 'ge t', with args beginning with: 'a' "},
			{[]interface{}{""}, "ERR unknown command '', with args beginning with: "},
			// Each argument is cut at 128 bytes...
			{[]interface{}{"nosuch", long}, "ERR unknown command 'nosuch', with args beginning with: '" + long[:128] + "' "},
			// ...and the list stops once it reaches 128 bytes.
			{[]interface{}{"nosuch", fifty, fifty, fifty, fifty}, "ERR unknown command 'nosuch', with args beginning with: '" + fifty + "' '" + fifty + "' '" + fifty[:22] + "' "},
		} {
			wantErr(t, rdb.Do(ctx, tc.args...), tc.err)
		}
		// Unknown subcommands of container commands.
		for _, c := range []string{"CLIENT", "CONFIG", "OBJECT", "COMMAND"} {
			wantErr(t, rdb.Do(ctx, c, "nosuch", "x"), "ERR unknown subcommand 'nosuch'. Try "+c+" HELP.")
		}
		// The connection stays usable after errors.
		want(t, rdb.Ping(ctx), "PONG")
	}},
	{name: "wrong_arity", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		for _, tc := range []struct {
			args []interface{}
			name string
		}{
			{[]interface{}{"GET"}, "get"}, {[]interface{}{"gEt", "a", "b"}, "get"}, {[]interface{}{"SET", "a"}, "set"},
			{[]interface{}{"SETNX", "a"}, "setnx"}, {[]interface{}{"SETEX", "a", "1"}, "setex"},
			{[]interface{}{"MGET"}, "mget"}, {[]interface{}{"GETSET", "a"}, "getset"},
			{[]interface{}{"APPEND", "a"}, "append"}, {[]interface{}{"STRLEN", "a", "b"}, "strlen"},
			{[]interface{}{"SETRANGE", "a", "1"}, "setrange"}, {[]interface{}{"GETRANGE", "a", "1"}, "getrange"},
			{[]interface{}{"INCRBY", "a"}, "incrby"}, {[]interface{}{"DECRBY", "a", "1", "2"}, "decrby"},
			{[]interface{}{"LCS", "a"}, "lcs"}, {[]interface{}{"EXPIRE", "a"}, "expire"},
			{[]interface{}{"PEXPIREAT", "a"}, "pexpireat"}, {[]interface{}{"TTL"}, "ttl"},
			{[]interface{}{"RENAME", "a"}, "rename"}, {[]interface{}{"MOVE", "a"}, "move"},
			{[]interface{}{"COPY", "a"}, "copy"}, {[]interface{}{"SCAN"}, "scan"},
			{[]interface{}{"RANDOMKEY", "a"}, "randomkey"}, {[]interface{}{"DBSIZE", "a"}, "dbsize"},
			{[]interface{}{"ECHO"}, "echo"}, {[]interface{}{"SELECT"}, "select"}, {[]interface{}{"TIME", "a"}, "time"},
			{[]interface{}{"OBJECT"}, "object"}, {[]interface{}{"OBJECT", "ENCODING"}, "object|encoding"},
			{[]interface{}{"OBJECT", "FREQ", "a", "b"}, "object|freq"}, {[]interface{}{"CONFIG", "GET"}, "config|get"},
			{[]interface{}{"CLIENT", "ID", "x"}, "client|id"}, {[]interface{}{"CLIENT", "KILL"}, "client|kill"},
			{[]interface{}{"COMMAND", "COUNT", "x"}, "command|count"},
		} {
			wantErr(t, rdb.Do(ctx, tc.args...), errArity(tc.name))
		}
	}},
	{name: "command_names_case_insensitive", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.Do(ctx, "sEt", "k", "v"), any("OK"))
		want(t, rdb.Do(ctx, "get", "k"), any("v"))
		want(t, rdb.Do(ctx, "GET", "k"), any("v"))
		wantNil(t, rdb.Do(ctx, "Client", "GetName"))
	}},
	{name: "pipeline_errors", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		// Errors in a pipeline stay with their own command.
		pipe := rdb.Pipeline()
		set := pipe.Set(ctx, "k", "abc", 0)
		incr := pipe.Incr(ctx, "k")
		bad := pipe.Do(ctx, "NOSUCH")
		arity := pipe.Do(ctx, "GET")
		get := pipe.Get(ctx, "k")
		missing := pipe.Get(ctx, "missing")
		_, _ = pipe.Exec(ctx)
		want(t, set, "OK")
		wantErr(t, incr, errNotInt)
		wantErr(t, bad, "ERR unknown command 'NOSUCH', with args beginning with: ")
		wantErr(t, arity, errArity("get"))
		want(t, get, "abc")
		wantNil(t, missing)
	}},
}
