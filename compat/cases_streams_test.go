package compat

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

var streamCases = []testCase{
	{name: "xadd_xrange_xtrim", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.XAdd(ctx, &redis.XAddArgs{Stream: "s", ID: "1-1", Values: []string{"a", "1"}}), "1-1")
		want(t, rdb.XAdd(ctx, &redis.XAddArgs{Stream: "s", ID: "2-*", Values: []string{"b", "2"}}), "2-0")
		want(t, rdb.XAdd(ctx, &redis.XAddArgs{Stream: "s", ID: "3-0", Values: map[string]any{"c": "3"}}), "3-0")
		wantErr(t, rdb.XAdd(ctx, &redis.XAddArgs{Stream: "none", NoMkStream: true, Values: []string{"a", "1"}}), "redis: nil")
		want(t, rdb.XLen(ctx, "s"), int64(3))
		want(t, rdb.XRange(ctx, "s", "-", "+"), []redis.XMessage{
			{ID: "1-1", Values: map[string]any{"a": "1"}}, {ID: "2-0", Values: map[string]any{"b": "2"}}, {ID: "3-0", Values: map[string]any{"c": "3"}}})
		want(t, rdb.XRevRangeN(ctx, "s", "+", "(1-1", 1), []redis.XMessage{{ID: "3-0", Values: map[string]any{"c": "3"}}})
		want(t, rdb.XDel(ctx, "s", "2-0", "9-9"), int64(1))
		want(t, rdb.XTrimMaxLen(ctx, "s", 1), int64(1))
		want(t, rdb.XRange(ctx, "s", "-", "+"), []redis.XMessage{{ID: "3-0", Values: map[string]any{"c": "3"}}})
		wantErr(t, rdb.XAdd(ctx, &redis.XAddArgs{Stream: "s", ID: "2-0", Values: []string{"a", "1"}}),
			"ERR The ID specified in XADD is equal or smaller than the target stream top item")
		wantErr(t, rdb.XRange(ctx, "s", "bad", "+"), "ERR Invalid stream ID specified as stream command argument")
		setup(t, rdb.Set(ctx, "str", "v", 0))
		wantErr(t, rdb.XLen(ctx, "str"), "WRONGTYPE Operation against a key holding the wrong kind of value")
		want(t, rdb.Type(ctx, "s"), "stream")
		want(t, rdb.ObjectEncoding(ctx, "s"), "stream")
	}},
	{name: "xread_block", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.XAdd(ctx, &redis.XAddArgs{Stream: "s", ID: "1-1", Values: []string{"a", "1"}}), "1-1")
		want(t, rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{"s", "0"}}), []redis.XStream{
			{Stream: "s", Messages: []redis.XMessage{{ID: "1-1", Values: map[string]any{"a": "1"}}}}})
		wantErr(t, rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{"s", "$"}, Block: 10 * time.Millisecond}), "redis: nil")
		other := tg.client(t, nil)
		done := make(chan *redis.XStreamSliceCmd, 1)
		go func() { done <- rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{"s", "$"}, Block: 0}) }()
		// The reader has blocked once the server counts it.
		for i := 0; i < 500; i++ {
			if info, _ := other.Info(ctx, "clients").Result(); containsLine(info, "blocked_clients:1") {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
		want(t, other.XAdd(ctx, &redis.XAddArgs{Stream: "s", ID: "2-1", Values: []string{"b", "2"}}), "2-1")
		want(t, <-done, []redis.XStream{{Stream: "s", Messages: []redis.XMessage{{ID: "2-1", Values: map[string]any{"b": "2"}}}}})
	}},
	{name: "groups", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.XGroupCreateMkStream(ctx, "s", "g", "$"), "OK")
		wantErr(t, rdb.XGroupCreate(ctx, "s", "g", "$"), "BUSYGROUP Consumer Group name already exists")
		want(t, rdb.XAdd(ctx, &redis.XAddArgs{Stream: "s", ID: "1-1", Values: []string{"a", "1"}}), "1-1")
		want(t, rdb.XAdd(ctx, &redis.XAddArgs{Stream: "s", ID: "2-1", Values: []string{"b", "2"}}), "2-1")
		want(t, rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "alice", Streams: []string{"s", ">"}, Count: 1}),
			[]redis.XStream{{Stream: "s", Messages: []redis.XMessage{{ID: "1-1", Values: map[string]any{"a": "1"}}}}})
		want(t, rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "bob", Streams: []string{"s", ">"}}),
			[]redis.XStream{{Stream: "s", Messages: []redis.XMessage{{ID: "2-1", Values: map[string]any{"b": "2"}}}}})
		want(t, rdb.XPending(ctx, "s", "g"), &redis.XPending{Count: 2, Lower: "1-1", Higher: "2-1", Consumers: map[string]int64{"alice": 1, "bob": 1}})
		ext, err := rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: "s", Group: "g", Start: "-", End: "+", Count: 10, Consumer: "alice"}).Result()
		if err != nil || len(ext) != 1 || ext[0].ID != "1-1" || ext[0].Consumer != "alice" || ext[0].RetryCount != 1 {
			t.Errorf("XPENDING extended: %v %+v", err, ext)
		}
		want(t, rdb.XClaimJustID(ctx, &redis.XClaimArgs{Stream: "s", Group: "g", Consumer: "carol", MinIdle: 0, Messages: []string{"1-1"}}), []string{"1-1"})
		msgs, start, err := rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{Stream: "s", Group: "g", Consumer: "dave", Start: "0", Count: 10}).Result()
		if err != nil || start != "0-0" || len(msgs) != 2 || msgs[1].ID != "2-1" {
			t.Errorf("XAUTOCLAIM: %v %q %+v", err, start, msgs)
		}
		want(t, rdb.XAck(ctx, "s", "g", "1-1", "2-1", "3-3"), int64(2))
		groups, err := rdb.XInfoGroups(ctx, "s").Result()
		if err != nil || len(groups) != 1 || groups[0].Name != "g" || groups[0].Consumers != 4 || groups[0].Pending != 0 ||
			groups[0].LastDeliveredID != "2-1" || groups[0].EntriesRead != 2 || groups[0].Lag != 0 {
			t.Errorf("XINFO GROUPS: %v %+v", err, groups)
		}
		cons, err := rdb.XInfoConsumers(ctx, "s", "g").Result()
		if err != nil || len(cons) != 4 || cons[0].Name != "alice" || cons[3].Name != "dave" {
			t.Errorf("XINFO CONSUMERS: %v %+v", err, cons)
		}
		info, err := rdb.XInfoStream(ctx, "s").Result()
		if err != nil || info.Length != 2 || info.LastGeneratedID != "2-1" || info.EntriesAdded != 2 || info.Groups != 1 ||
			info.FirstEntry.ID != "1-1" || info.LastEntry.ID != "2-1" || info.RecordedFirstEntryID != "1-1" {
			t.Errorf("XINFO STREAM: %v %+v", err, info)
		}
		full, err := rdb.XInfoStreamFull(ctx, "s", 0).Result()
		if err != nil || full.Length != 2 || len(full.Entries) != 2 || len(full.Groups) != 1 || len(full.Groups[0].Consumers) != 4 {
			t.Errorf("XINFO STREAM FULL: %v %+v", err, full)
		}
		want(t, rdb.XGroupCreateConsumer(ctx, "s", "g", "erin"), int64(1))
		want(t, rdb.XGroupDelConsumer(ctx, "s", "g", "erin"), int64(0))
		want(t, rdb.XGroupSetID(ctx, "s", "g", "0"), "OK")
		want(t, rdb.XGroupDestroy(ctx, "s", "g"), int64(1))
		wantErr(t, rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "a", Streams: []string{"s", ">"}}),
			"NOGROUP No such key 's' or consumer group 'g' in XREADGROUP with GROUP option")
	}},
}

func containsLine(info, line string) bool {
	for len(info) > 0 {
		i := 0
		for i < len(info) && info[i] != '\n' {
			i++
		}
		l := info[:i]
		if len(l) > 0 && l[len(l)-1] == '\r' {
			l = l[:len(l)-1]
		}
		if l == line {
			return true
		}
		if i == len(info) {
			break
		}
		info = info[i+1:]
	}
	return false
}
