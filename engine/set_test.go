package engine

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// setForms are the forms every set test runs on: as NewSet starts (an
// intset, packed at the first member that is not an integer), packed from
// the start (as a snapshot loads a small "hashtable" set), and the table
// from the start (as a set is once it outgrew the packing).
var setForms = []struct {
	name string
	make func() *Set
}{
	{"built", NewSet},
	{"packed", func() *Set { return &Set{form: setPacked} }},
	{"table", func() *Set { s := NewSet(); s.toHashtable(); return s }},
}

// setMembers lists s's members in position order.
func setMembers(s *Set) []string {
	var out []string
	s.Each(func(m []byte) bool {
		out = append(out, string(m))
		return true
	})
	return out
}

func TestSetIntsetEncoding(t *testing.T) {
	for _, tc := range []struct {
		member string
		intset bool
	}{
		{"0", true}, {"1", true}, {"-1", true}, {"10", true},
		{"9223372036854775807", true}, {"-9223372036854775808", true},
		{"9223372036854775808", false}, {"-9223372036854775809", false},
		{"-0", false}, {"+1", false}, {"01", false}, {"00", false}, {"1.0", false},
		{" 1", false}, {"1 ", false}, {"", false}, {"-", false}, {"a", false},
		{"99999999999999999999", false}, {"123456789012345678901", false},
	} {
		s := NewSet()
		s.Add([]byte(tc.member))
		if got := s.Encoding() == "intset"; got != tc.intset {
			t.Errorf("a set of %q: encoding %s", tc.member, s.Encoding())
		}
		if !s.Has([]byte(tc.member)) || s.Len() != 1 || s.Size() != int64(len(tc.member)) {
			t.Errorf("a set of %q: has %v, len %d, size %d", tc.member, s.Has([]byte(tc.member)), s.Len(), s.Size())
		}
		if got := setMembers(s); !slices.Equal(got, []string{tc.member}) {
			t.Errorf("a set of %q: members %q", tc.member, got)
		}
	}

	s := NewSet()
	for i := range SetMaxIntsetEntries {
		s.Add([]byte(strconv.Itoa(SetMaxIntsetEntries - 1 - i)))
	}
	if s.Encoding() != "intset" || s.Len() != SetMaxIntsetEntries {
		t.Fatalf("%d integers: %s, len %d", SetMaxIntsetEntries, s.Encoding(), s.Len())
	}
	if got := setMembers(s); got[0] != "0" || got[511] != "511" || !slices.IsSortedFunc(got, func(a, b string) int {
		x, _ := strconv.Atoi(a)
		y, _ := strconv.Atoi(b)
		return x - y
	}) {
		t.Errorf("an intset is not in ascending order: %q...", got[:5])
	}
	if s.Add([]byte("7")) || s.Encoding() != "intset" {
		t.Errorf("re-adding a member of a full intset: encoding %s", s.Encoding())
	}
	if !s.Add([]byte("512")) || s.Encoding() != "hashtable" || s.Len() != 513 {
		t.Errorf("the 513th integer: encoding %s, len %d", s.Encoding(), s.Len())
	}
	for i := range 513 {
		s.Remove([]byte(strconv.Itoa(i)))
		if i == 511 && s.Encoding() != "hashtable" {
			t.Errorf("a hashtable went back to intset by itself")
		}
	}
	if s.Len() != 0 || s.Size() != 0 {
		t.Errorf("after removing everything: len %d size %d", s.Len(), s.Size())
	}

	// A non-integer converts; the integers keep their ascending order.
	s = NewSet()
	for _, m := range []string{"3", "-2", "10"} {
		s.Add([]byte(m))
	}
	s.Add([]byte("x"))
	if got := setMembers(s); s.Encoding() != "hashtable" || !slices.Equal(got, []string{"-2", "3", "10", "x"}) {
		t.Errorf("after a non-integer: %s %q", s.Encoding(), got)
	}
}

// Random operations against a map model: membership, length and the
// byte count (Size against ComputeSize and the model) after every step.
func TestSetModel(t *testing.T) {
	for _, form := range setForms {
		t.Run(form.name, func(t *testing.T) { setModel(t, form.make) })
	}
}

func setModel(t *testing.T, newSet func() *Set) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 30 {
		s := newSet()
		model := map[string]bool{}
		modelSize := int64(0)
		member := func() string {
			switch {
			case round%3 == 2 && rng.IntN(200) == 0:
				return strings.Repeat("L", SetPackValue+1) // too long to stay packed
			case round%3 == 2:
				// Strings of many lengths, around SetPackEntries of them.
				return strings.Repeat("s", rng.IntN(SetPackValue)) + strconv.Itoa(rng.IntN(SetPackEntries+20))
			case round%2 == 0 && rng.IntN(100) == 0:
				return "m" + strconv.Itoa(rng.IntN(50)) // an occasional non-integer
			case round%2 == 0:
				return strconv.Itoa(rng.IntN(700) - 100)
			default:
				return strconv.Itoa(rng.IntN(300))
			}
		}
		for step := range 3000 {
			m := member()
			var what string
			switch op := rng.IntN(10); {
			case op < 5:
				what = "add"
				if s.Add([]byte(m)) != !model[m] {
					t.Fatalf("round %d step %d: Add(%q) disagrees with the model", round, step, m)
				}
				if !model[m] {
					modelSize += int64(len(m))
				}
				model[m] = true
			case op < 8:
				what = "remove"
				if s.Remove([]byte(m)) != model[m] {
					t.Fatalf("round %d step %d: Remove(%q) disagrees with the model", round, step, m)
				}
				if model[m] {
					modelSize -= int64(len(m))
				}
				delete(model, m)
			default:
				if s.Len() == 0 {
					continue
				}
				what = "removeAt"
				i := rng.IntN(s.Len())
				m = string(s.Member(i, nil))
				s.RemoveAt(i)
				delete(model, m)
				modelSize -= int64(len(m))
			}
			if s.Size() != s.ComputeSize() || s.Size() != modelSize {
				t.Fatalf("round %d step %d after %s %q: Size %d, ComputeSize %d, model %d", round, step, what, m, s.Size(), s.ComputeSize(), modelSize)
			}
			if s.Len() != len(model) || s.Has([]byte(m)) != model[m] {
				t.Fatalf("round %d step %d after %s %q: len %d want %d, has %v", round, step, what, m, s.Len(), len(model), s.Has([]byte(m)))
			}
		}
		got := setMembers(s)
		slices.Sort(got)
		var want []string
		for m := range model {
			want = append(want, m)
		}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("round %d: members differ from the model", round)
		}
	}
}

func TestSetClone(t *testing.T) {
	for _, form := range setForms {
		t.Run(form.name, func(t *testing.T) { setClone(t, form.make) })
	}
}

func setClone(t *testing.T, newSet func() *Set) {
	for _, members := range [][]string{{"1", "2", "3"}, {"a", "b", "1"}} {
		s := newSet()
		for _, m := range members {
			s.Add([]byte(m))
		}
		c := s.Clone().(*Set)
		if c.Encoding() != s.Encoding() || !slices.Equal(setMembers(c), setMembers(s)) || c.Size() != s.Size() {
			t.Fatalf("clone of %q: %s %q", members, c.Encoding(), setMembers(c))
		}
		c.Add([]byte("z"))
		c.Remove([]byte(members[0]))
		if !slices.Equal(setMembers(s), members) && !slices.Equal(setMembers(s), []string{"1", "2", "3"}) {
			t.Fatalf("changing the clone changed the original: %q", setMembers(s))
		}
		if s.Has([]byte("z")) || !s.Has([]byte(members[0])) || s.Size() != s.ComputeSize() {
			t.Fatal("changing the clone changed the original")
		}
	}
}

// A member present for the whole of a scan is returned by it, whatever is
// added and removed between the calls (removals of other members, the set
// growing and shrinking a lot, the slice being reallocated).
func TestSetScanNeverMisses(t *testing.T) {
	for _, form := range setForms {
		t.Run(form.name, func(t *testing.T) { setScanNeverMisses(t, form.make) })
	}

	// An intset is returned whole at once, whatever the cursor.
	s := NewSet()
	for i := range 50 {
		s.Add([]byte(strconv.Itoa(i)))
	}
	n := 0
	if c := s.Scan(12345, 5, func([]byte) { n++ }); c != 0 || n != 50 {
		t.Errorf("intset scan: cursor %d, %d members", c, n)
	}
}

// Sets of up to 400 members: in the built and packed forms, some are packed
// for the whole scan and some convert in the middle of it.
func setScanNeverMisses(t *testing.T, newSet func() *Set) {
	rng := rand.New(rand.NewPCG(3, 4))
	for round := range 300 {
		s := newSet()
		next := 0
		add := func() {
			s.Add([]byte("m" + strconv.Itoa(next)))
			next++
		}
		for range rng.IntN(400) + 1 {
			add()
		}
		// present: members that have been there since the scan started.
		present := map[string]bool{}
		s.Each(func(m []byte) bool { present[string(m)] = true; return true })
		seen := map[string]bool{}
		count := rng.IntN(20) + 1
		cursor := uint64(0)
		calls := 0
		for {
			cursor = s.Scan(cursor, count, func(m []byte) { seen[string(m)] = true })
			calls++
			if cursor == 0 {
				break
			}
			if calls > 100000 {
				t.Fatalf("round %d: the scan does not end", round)
			}
			// Churn: remove some members (maybe most), add some.
			for range rng.IntN(3 * count) {
				if s.Len() == 0 {
					break
				}
				i := rng.IntN(s.Len())
				delete(present, string(s.Member(i, nil)))
				s.RemoveAt(i)
			}
			for range rng.IntN(3 * count) {
				add()
			}
		}
		for m := range present {
			if !seen[m] {
				t.Fatalf("round %d (count %d): %s was present for the whole scan but not returned", round, count, m)
			}
		}
	}
}

// Scan goes down from the top, count positions per call.
func TestSetScanCursor(t *testing.T) {
	for _, form := range setForms {
		t.Run(form.name, func(t *testing.T) { setScanCursor(t, form.make()) })
	}
}

func setScanCursor(t *testing.T, s *Set) {
	for i := range 25 {
		s.Add([]byte("m" + strconv.Itoa(i)))
	}
	var got []string
	collect := func(m []byte) { got = append(got, string(m)) }
	c := s.Scan(0, 10, collect)
	if c != 15 || len(got) != 10 || got[0] != "m24" || got[9] != "m15" {
		t.Fatalf("first call: cursor %d, %q", c, got)
	}
	got = nil
	if c = s.Scan(c, 10, collect); c != 5 || got[0] != "m14" {
		t.Fatalf("second call: cursor %d, %q", c, got)
	}
	got = nil
	if c = s.Scan(c, 10, collect); c != 0 || len(got) != 5 || got[4] != "m0" {
		t.Fatalf("last call: cursor %d, %q", c, got)
	}
	// A cursor past the end (the set shrank) starts from the top.
	got = nil
	if c = s.Scan(1000, 30, collect); c != 0 || len(got) != 25 {
		t.Fatalf("cursor past the end: cursor %d, %d members", c, len(got))
	}
}

func TestSetReplaceWith(t *testing.T) {
	s := NewSet()
	s.Add([]byte("a"))
	s.Add([]byte("1"))
	o := NewSet()
	o.Add([]byte("5"))
	s.ReplaceWith(o)
	if s.Encoding() != "intset" || s.Len() != 1 || s.Size() != 1 || !s.Has([]byte("5")) || s.Has([]byte("a")) {
		t.Fatalf("after ReplaceWith: %s %q size %d", s.Encoding(), setMembers(s), s.Size())
	}
}
