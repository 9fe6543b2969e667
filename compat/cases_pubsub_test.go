package compat

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func init() { connectionCases = append(connectionCases, pubsubCases...) }

// go-redis's PubSub API: subscribe, receive through Channel(), patterns,
// shard channels, ping while subscribed, PUBSUB introspection, unsubscribe.
var pubsubCases = []testCase{
	{name: "pubsub_go_redis_api", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		pre := "ps:" + tg.name + ":"
		ps := rdb.Subscribe(ctx, pre+"news")
		defer ps.Close()
		if msg, err := ps.Receive(ctx); err != nil {
			t.Fatalf("Receive: %v", err)
		} else if sub, ok := msg.(*redis.Subscription); !ok || sub.Kind != "subscribe" || sub.Channel != pre+"news" || sub.Count != 1 {
			t.Fatalf("confirmation = %#v", msg)
		}
		if err := ps.PSubscribe(ctx, pre+"n*"); err != nil {
			t.Fatal(err)
		}
		if err := ps.Ping(ctx, "hello"); err != nil {
			t.Fatal(err)
		}
		// Both answered before anything is published: the subscriber's
		// connection need not have run them yet when PUBLISH arrives on
		// another.
		if msg, err := ps.Receive(ctx); err != nil || msg.(*redis.Subscription).Kind != "psubscribe" {
			t.Fatalf("psubscribe confirmation = %#v, %v", msg, err)
		}
		if msg, err := ps.Receive(ctx); err != nil || msg.(*redis.Pong).Payload != "hello" {
			t.Fatalf("pong = %#v, %v", msg, err)
		}
		want(t, rdb.PubSubNumSub(ctx, pre+"news", pre+"none"), map[string]int64{pre + "news": 1, pre + "none": 0})
		want(t, rdb.PubSubChannels(ctx, pre+"*"), []string{pre + "news"})
		want(t, rdb.Publish(ctx, pre+"news", "first"), int64(2))
		ch := ps.Channel()
		got := map[string]string{}
		for len(got) < 2 {
			select {
			case m := <-ch:
				got[m.Pattern] = m.Channel + "=" + m.Payload
			case <-time.After(5 * time.Second):
				t.Fatalf("messages received: %v", got)
			}
		}
		if got[""] != pre+"news=first" || got[pre+"n*"] != pre+"news=first" {
			t.Errorf("messages = %v", got)
		}
		if err := ps.Unsubscribe(ctx, pre+"news"); err != nil {
			t.Fatal(err)
		}
		if err := ps.PUnsubscribe(ctx, pre+"n*"); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) && rdb.Publish(ctx, pre+"news", "second").Val() != 0 {
			time.Sleep(10 * time.Millisecond)
		}
		want(t, rdb.Publish(ctx, pre+"news", "third"), int64(0))
	}},
	{name: "pubsub_shard_go_redis_api", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		pre := "sps:" + tg.name + ":"
		ps := rdb.SSubscribe(ctx, pre+"s")
		defer ps.Close()
		if _, err := ps.Receive(ctx); err != nil {
			t.Fatal(err)
		}
		want(t, rdb.PubSubShardNumSub(ctx, pre+"s"), map[string]int64{pre + "s": 1})
		want(t, rdb.SPublish(ctx, pre+"s", "m"), int64(1))
		select {
		case m := <-ps.Channel():
			if m.Channel != pre+"s" || m.Payload != "m" {
				t.Errorf("smessage = %#v", m)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no smessage")
		}
	}},
}
