package pubsub

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// recv records what it is given; refuse makes it decline (a killed or
// over-limit session).
type recv struct {
	mu     sync.Mutex
	got    []string
	refuse bool
}

func (r *recv) Deliver(m *Message, inline bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refuse {
		return false
	}
	r.got = append(r.got, fmt.Sprintf("%d|%s|%s|%s|%v", m.Kind, m.Pattern, m.Channel, m.Payload, inline))
	return true
}

func TestHubScopesAreSeparate(t *testing.T) {
	h := New()
	a, b := &recv{}, &recv{}
	sa, sb := h.NewSub(a), h.NewSub(b)
	for _, tc := range []struct {
		s     *Sub
		scope string
		k     Kind
		name  string
	}{
		{sa, "alice", Channel, "news"}, {sa, "alice", Pattern, "*"},
		{sb, "bob", Channel, "news"}, {sb, "bob", Pattern, "*"}, {sb, "bob", Shard, "s"},
	} {
		if err := tc.s.Subscribe(tc.scope, tc.k, tc.name, Limits{}); err != nil {
			t.Fatal(err)
		}
	}
	if n := h.Publish("alice", Channel, []byte("news"), []byte("x"), nil); n != 2 {
		t.Errorf("alice's PUBLISH reached %d, want 2", n)
	}
	if n := h.Publish("alice", Shard, []byte("s"), []byte("x"), nil); n != 0 {
		t.Errorf("alice's SPUBLISH to bob's shard channel reached %d", n)
	}
	if n := h.Publish("", Channel, []byte("news"), []byte("x"), sa.r); n != 0 {
		t.Errorf("the default scope reached %d", n)
	}
	if len(b.got) != 0 {
		t.Errorf("bob got %q", b.got)
	}
	if got := h.Channels("alice", Channel, nil); len(got) != 1 || got[0] != "news" {
		t.Errorf("alice's channels = %q", got)
	}
	if got := h.NumPat("bob"); got != 1 {
		t.Errorf("bob's NUMPAT = %d", got)
	}
	c, p, s := h.Counts("", true)
	if c != 2 || p != 2 || s != 1 {
		t.Errorf("Counts = %d %d %d", c, p, s)
	}
	sa.UnsubscribeAll()
	sb.Unsubscribe(Channel, "news")
	sb.Unsubscribe(Pattern, "*")
	if h.Scopes() != 1 {
		t.Errorf("scopes = %d, want bob's only", h.Scopes())
	}
	sb.Unsubscribe(Shard, "s")
	if h.Scopes() != 0 {
		t.Errorf("emptied scopes linger: %d", h.Scopes())
	}
}

func TestHubCountsOnlyTakers(t *testing.T) {
	h := New()
	ok, refused := &recv{}, &recv{refuse: true}
	for _, r := range []*recv{ok, refused} {
		if err := h.NewSub(r).Subscribe("", Channel, "c", Limits{}); err != nil {
			t.Fatal(err)
		}
	}
	if n := h.Publish("", Channel, []byte("c"), []byte("m"), ok); n != 1 {
		t.Errorf("PUBLISH = %d, want 1", n)
	}
	if len(ok.got) != 1 || ok.got[0] != "0||c|m|true" {
		t.Errorf("publisher's own delivery = %q (inline expected)", ok.got)
	}
}

func TestHubLimits(t *testing.T) {
	h := New()
	lim := Limits{PerSub: 2, PerScope: 3, ScopeBytes: 10 * (nameCost + 2)}
	s1, s2 := h.NewSub(&recv{}), h.NewSub(&recv{})
	for i, tc := range []struct {
		s    *Sub
		name string
		want error
	}{
		{s1, "a", nil}, {s1, "a", nil}, {s1, "b", nil}, {s1, "c", ErrSubLimit},
		{s2, "a", nil}, {s2, "b", ErrScopeLimit},
	} {
		if err := tc.s.Subscribe("t", Channel, tc.name, lim); err != tc.want {
			t.Errorf("step %d: Subscribe(%s) = %v, want %v", i, tc.name, err, tc.want)
		}
	}
	// Bytes: one long name passes the scope's byte budget.
	s3 := h.NewSub(&recv{})
	if err := s3.Subscribe("u", Channel, string(make([]byte, 20*nameCost)), lim); err != ErrScopeBytes {
		t.Errorf("long name: %v", err)
	}
	if h.Active("u") {
		t.Error("a refused first subscription left its scope behind")
	}
}

// Publishing, subscribing and unsubscribing at once from many goroutines
// (run with -race): every delivery made while a subscription held reaches
// it, and nothing is left behind.
func TestHubConcurrent(t *testing.T) {
	h := New()
	var wg sync.WaitGroup
	var delivered atomic.Int64
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			r := &recv{}
			s := h.NewSub(r)
			scope := fmt.Sprint(g % 2)
			for i := 0; i < 500; i++ {
				_ = s.Subscribe(scope, Channel, fmt.Sprint(i%7), Limits{})
				_ = s.Subscribe(scope, Pattern, fmt.Sprint(i%3)+"*", Limits{})
				delivered.Add(int64(h.Publish(scope, Channel, []byte(fmt.Sprint(i%5)), []byte("m"), nil)))
				h.Channels(scope, Channel, []byte("*"))
				if i%10 == 0 {
					s.UnsubscribeAll()
				} else {
					s.Unsubscribe(Channel, fmt.Sprint(i%7))
				}
			}
			s.UnsubscribeAll()
		}(g)
	}
	wg.Wait()
	if h.Scopes() != 0 {
		t.Errorf("%d scopes left", h.Scopes())
	}
	if delivered.Load() == 0 {
		t.Error("no delivery at all")
	}
}
