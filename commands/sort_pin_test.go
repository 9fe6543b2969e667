package commands

import (
	"strconv"
	"strings"
	"testing"
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
