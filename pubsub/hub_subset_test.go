package pubsub

import (
	"math/rand"
	"testing"
)

// A name's subscriber set stays exact through adds and removes in any
// order, small (searched) and big (indexed), and a publish reaches each
// member once.
func TestSubSetAddRemove(t *testing.T) {
	for _, n := range []int{1, 2, smallSet, smallSet + 1, 200} {
		h := New()
		rs := make([]*recv, n)
		subs := make([]*Sub, n)
		for i := range subs {
			rs[i] = &recv{}
			subs[i] = h.NewSub(rs[i])
			if err := subs[i].Subscribe("", Channel, "c", Limits{}); err != nil {
				t.Fatal(err)
			}
		}
		in := map[int]bool{}
		for i := range subs {
			in[i] = true
		}
		rng := rand.New(rand.NewSource(int64(n)))
		for _, i := range rng.Perm(n) {
			if got := h.Publish("", Channel, []byte("c"), []byte("x"), nil); got != len(in) {
				t.Fatalf("n=%d: Publish reached %d, want %d", n, got, len(in))
			}
			if got := h.NumSub("", Channel, "c"); got != len(in) {
				t.Fatalf("n=%d: NumSub = %d, want %d", n, got, len(in))
			}
			if !subs[i].Unsubscribe(Channel, "c") {
				t.Fatalf("n=%d: subscriber %d was not subscribed", n, i)
			}
			delete(in, i)
		}
		for i, r := range rs {
			// Subscriber i got one message per publish made while it held
			// the name: as many as subscribers left when it went, plus one.
			if len(r.got) == 0 {
				t.Fatalf("n=%d: subscriber %d got nothing", n, i)
			}
		}
		total := 0
		for _, r := range rs {
			total += len(r.got)
		}
		if want := n * (n + 1) / 2; total != want {
			t.Errorf("n=%d: %d deliveries, want %d", n, total, want)
		}
		if h.Scopes() != 0 {
			t.Errorf("n=%d: the emptied scope lingers", n)
		}
	}
}

// Tens of thousands of subscribers of one channel, past the searched size,
// all leave through the index and nothing of them stays.
func TestSubSetManyLeave(t *testing.T) {
	h := New()
	const n = 50000
	subs := make([]*Sub, n)
	for i := range subs {
		subs[i] = h.NewSub(&recv{refuse: true})
		if err := subs[i].Subscribe("", Channel, "crowd", Limits{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range subs {
		s.UnsubscribeAll()
	}
	if h.NumSub("", Channel, "crowd") != 0 || h.Scopes() != 0 {
		t.Error("subscribers left behind")
	}
}
