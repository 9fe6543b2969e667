package commands

import (
	"strconv"
	"strings"
	"sync"
	"testing"

	"synap/sched"
)

// Issue 10's SORT row: a detached SORT copies a big source list with no
// lock held (pinned), yielding as it goes; what it sorts is still the list
// at one instant. A writer rotating the list (every element always there
// once) must never make SORT see an element twice or miss one.
func TestSortPinnedUnderConcurrentWrites(t *testing.T) {
	f := startCluster(t)
	alice, alice2 := f.as(t, "alice-rw"), f.as(t, "alice-rw")
	const n = 3000 // over listDetachElems: pinned
	elems := make([]string, n)
	want := make([]string, n)
	for i := range elems {
		elems[i] = strconv.Itoa(n - 1 - i)
		want[i] = strconv.Quote(strconv.Itoa(i))
	}
	pipe(t, alice, [][]string{append([]string{"RPUSH", "L"}, elems...)})
	wantReply := "[" + strings.Join(want, " ") + "]"
	defer rotate(t, alice2, "L")()
	for i := range 30 {
		for _, cmd := range [][]string{{"SORT", "L"}, {"SORT_RO", "L"}} {
			if got := alice.Do(cmd...); got != wantReply {
				t.Fatalf("round %d, %s: %.200s", i, cmd[0], got)
			}
		}
	}
}

// A SORT that stores holds its destination's lock from the store until it
// returns, and gives its buffers back in between: it must not yield there
// (another tenant's command on that shard would wait out the yield), while
// the same SORT without STORE clears them with chances to yield.
func TestSortYieldsOnlyHoldingNothing(t *testing.T) {
	f := startCluster(t)
	alice := f.as(t, "alice-rw")
	const n = 20000 // pinned, and item buffers of several clearing steps
	elems := make([]string, n)
	for i := range elems {
		elems[i] = strconv.Itoa(i)
	}
	pipe(t, alice, [][]string{append([]string{"RPUSH", "L"}, elems...)})
	mustDo(t, alice, "+OK", "SET", "v_1", "x")
	for _, tc := range []struct {
		cmd  []string
		want string
	}{
		{[]string{"SORT", "L", "BY", "nosort", "GET", "v_*", "STORE", "dst"}, ":20000"},
		{[]string{"SORT", "L", "BY", "w_*", "GET", "v_*", "STORE", "dst"}, ":20000"},
	} {
		var mu sync.Mutex
		holding, underLock, chances := false, 0, 0
		f.srv.Eng.SetWalkHook(func(h bool) { mu.Lock(); holding = h; mu.Unlock() })
		sched.Observe(func(resumed bool) {
			mu.Lock()
			defer mu.Unlock()
			if !resumed {
				chances++
				if holding {
					underLock++
				}
			}
		})
		got := alice.Do(tc.cmd...)
		sched.Observe(nil)
		f.srv.Eng.SetWalkHook(nil)
		if got != tc.want {
			t.Fatalf("%v: %s", tc.cmd, got)
		}
		if chances == 0 || underLock != 0 {
			t.Fatalf("%v: %d chances to yield, %d of them holding a lock", tc.cmd, chances, underLock)
		}
	}
}
