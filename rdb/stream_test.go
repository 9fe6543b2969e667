package rdb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// sampleStream has what a stream can hold: entries with the first entry's
// fields and with others, integers and strings of every listpack width,
// ids whose sequence goes down across milliseconds (a negative delta), and
// groups with pending entries, consumers, one holding nothing.
func sampleStream() *Stream {
	s := &Stream{MaxDeletedID: StreamID{3, 1}, EntriesAdded: 400, LastID: StreamID{1 << 41, 9}}
	for i := range 250 {
		id := StreamID{uint64(10 + i), uint64(i % 4)}
		f := [][]byte{[]byte("f1"), []byte("v" + strconv.Itoa(i)), []byte("f2"), []byte(strconv.Itoa(i * 977))}
		if i%7 == 3 {
			f = [][]byte{[]byte("other"), []byte(strings.Repeat("x", i*20))}
		}
		s.Entries = append(s.Entries, StreamEntry{ID: id, Fields: f})
	}
	s.Entries = append(s.Entries,
		StreamEntry{ID: StreamID{1 << 40, 0}, Fields: [][]byte{[]byte("n"), []byte("-4096"), []byte("m"), []byte("-9223372036854775808")}},
		StreamEntry{ID: StreamID{1 << 40, 1}, Fields: [][]byte{[]byte("n"), []byte("8388607"), []byte("m"), []byte("007")}},
		StreamEntry{ID: StreamID{1 << 41, 5}, Fields: [][]byte{[]byte("big"), []byte(strings.Repeat("b", 70000))}})
	s.FirstID = s.Entries[0].ID
	s.Groups = []StreamGroup{
		{Name: []byte("g1"), LastID: StreamID{14, 0}, EntriesRead: 5,
			Pending:   []StreamNack{{StreamID{10, 0}, 1700000000123, 2}, {StreamID{11, 1}, 1700000000456, 1}, {StreamID{12, 2}, -5, 9}},
			Consumers: []StreamConsumer{{Name: []byte("alice"), SeenTime: 1700000000999, Pending: []StreamID{{10, 0}, {12, 2}}}, {Name: []byte("bob"), SeenTime: 7, Pending: []StreamID{{11, 1}}}, {Name: []byte("idle"), SeenTime: 0}}},
		{Name: []byte("g2"), LastID: StreamID{900, 4}, EntriesRead: -1},
	}
	return s
}

func TestStreamRoundTrip(t *testing.T) {
	for _, s := range []*Stream{sampleStream(), {}, {LastID: StreamID{5, 5}, EntriesAdded: 3, MaxDeletedID: StreamID{5, 5}}} {
		p := DumpStream(s)
		v, err := Decode(p)
		if err != nil || v.Type != TypeStreamListpacks2 {
			t.Fatalf("%v %d", err, v.Type)
		}
		if dumpText(v.Stream) != dumpText(s) {
			t.Fatalf("decoded %s\nwant %s", dumpText(v.Stream), dumpText(s))
		}
	}
}

// dumpText renders a stream for comparing (nil and empty slices alike).
func dumpText(s *Stream) string {
	var b strings.Builder
	fmt.Fprintf(&b, "last %v first %v maxdel %v added %d\n", s.LastID, s.FirstID, s.MaxDeletedID, s.EntriesAdded)
	for _, e := range s.Entries {
		fmt.Fprintf(&b, "%v %q\n", e.ID, e.Fields)
	}
	for _, g := range s.Groups {
		fmt.Fprintf(&b, "group %q %v %d %v\n", g.Name, g.LastID, g.EntriesRead, g.Pending)
		for _, c := range g.Consumers {
			fmt.Fprintf(&b, "  consumer %q %d %v\n", c.Name, c.SeenTime, c.Pending)
		}
	}
	return b.String()
}

// A listpack element whose encoded size is one short of a power of 128
// takes the larger back-length, as Redis writes it: the reader must agree.
func TestListpackBacklenBounds(t *testing.T) {
	for _, n := range []int{120, 126, 127, 128, 16383 - 5, 16383 - 3, 16380, 16383, 2097151 - 5} {
		var w lpWriter
		w.start()
		w.str([]byte(strings.Repeat("s", n)))
		w.str([]byte("after"))
		items, err := listpack(w.finish())
		if err != nil || len(items) != 2 || len(items[0]) != n || string(items[1]) != "after" {
			t.Fatalf("string of %d: %v, %d items", n, err, len(items))
		}
	}
}

// A stream as Redis 5 to 6.2 wrote it (no first id, deleted id, entries
// added or a group's entries read) loads as Redis 7.0 loads it.
func TestStreamVersion1(t *testing.T) {
	s := sampleStream()
	b := []byte{TypeStreamListpacks, 1}
	var key [16]byte
	binary.BigEndian.PutUint64(key[:8], s.Entries[0].ID.Ms)
	binary.BigEndian.PutUint64(key[8:], s.Entries[0].ID.Seq)
	b = AppendString(b, key[:])
	b = AppendString(b, streamListpack(s.Entries[0].ID, s.Entries[:3]))
	b = AppendLen(b, 3)
	b = AppendLen(b, 12)
	b = AppendLen(b, 2)
	b = AppendLen(b, 2)
	for _, g := range []struct {
		name string
		last StreamID
	}{{"behind", StreamID{10, 0}}, {"done", StreamID{12, 2}}} {
		b = AppendString(b, []byte(g.name))
		b = AppendLen(b, g.last.Ms)
		b = AppendLen(b, g.last.Seq)
		b = AppendLen(b, 0)
		b = AppendLen(b, 0)
	}
	v, err := Decode(seal(b))
	if err != nil {
		t.Fatal(err)
	}
	got := v.Stream
	if len(got.Entries) != 3 || got.FirstID != (StreamID{10, 0}) || got.EntriesAdded != 3 || got.MaxDeletedID != (StreamID{}) {
		t.Fatalf("%s", dumpText(got))
	}
	if got.Groups[0].EntriesRead != -1 || got.Groups[1].EntriesRead != 3 {
		t.Fatalf("entries read %d, %d; want -1 (unknown) and 3", got.Groups[0].EntriesRead, got.Groups[1].EntriesRead)
	}
}

// Streams that do not hang together are refused, not half loaded.
func TestHostileStreams(t *testing.T) {
	good := DumpStream(sampleStream())
	body := good[:len(good)-10]
	if _, err := Decode(seal(append([]byte(nil), body...))); err != nil {
		t.Fatal(err)
	}
	mutate := func(f func(s *Stream)) []byte {
		s := sampleStream()
		f(s)
		return DumpStream(s)
	}
	node := func(items ...any) []byte {
		var w lpWriter
		w.start()
		for _, it := range items {
			switch x := it.(type) {
			case int:
				w.int(int64(x))
			case string:
				w.str([]byte(x))
			}
		}
		return w.finish()
	}
	oneNode := func(lp []byte, length uint64) []byte {
		b := []byte{TypeStreamListpacks2, 1}
		b = AppendString(b, make([]byte, 16))
		b = AppendString(b, lp)
		for _, n := range []uint64{length, 1 << 40, 0, 0, 0, 0, 0, length, 0} {
			b = AppendLen(b, n)
		}
		return seal(b)
	}
	for name, p := range map[string][]byte{
		"truncated":           seal(append([]byte(nil), body[:len(body)/2]...)),
		"trailing":            seal(append(append([]byte(nil), body...), 0)),
		"node count":          seal([]byte{TypeStreamListpacks2, 0x80, 0xff, 0xff, 0xff, 0xff}),
		"ids out of order":    mutate(func(s *Stream) { s.Entries[5].ID, s.Entries[6].ID = s.Entries[6].ID, s.Entries[5].ID }),
		"last id behind":      mutate(func(s *Stream) { s.LastID = StreamID{1, 0} }),
		"entries added short": mutate(func(s *Stream) { s.EntriesAdded = 10 }),
		"pending unowned":     mutate(func(s *Stream) { s.Groups[0].Consumers[1].Pending = nil }),
		"pending owned twice": mutate(func(s *Stream) { s.Groups[0].Consumers[1].Pending = []StreamID{{11, 1}, {10, 0}} }),
		"consumer's own id":   mutate(func(s *Stream) { s.Groups[0].Consumers[2].Pending = []StreamID{{99, 0}} }),
		"group twice":         mutate(func(s *Stream) { s.Groups[1].Name = []byte("g1") }),
		"consumer twice":      mutate(func(s *Stream) { s.Groups[0].Consumers[2].Name = []byte("bob") }),
		"pending out of order": mutate(func(s *Stream) {
			g := &s.Groups[0]
			g.Pending[0], g.Pending[1] = g.Pending[1], g.Pending[0]
		}),
		"entries read -2": mutate(func(s *Stream) { s.Groups[0].EntriesRead = -2 }),
		"empty node":      oneNode(node(0, 0, 0, 0), 0),
		"count wrong":     oneNode(node(2, 0, 1, "f", 0, 2, 0, 0, "v", 4), 1),
		"deleted wrong":   oneNode(node(1, 1, 1, "f", 0, 2, 0, 0, "v", 4), 1),
		"lp-count wrong":  oneNode(node(1, 0, 1, "f", 0, 2, 0, 0, "v", 5), 1),
		"unknown flag":    oneNode(node(1, 0, 1, "f", 0, 8, 0, 0, "v", 4), 1),
		"master no zero":  oneNode(node(1, 0, 1, "f", 1, 2, 0, 0, "v", 4), 1),
		"fields overrun":  oneNode(node(1, 0, 1, "f", 0, 0, 0, 0, 9, "a", "b", 22), 1),
		"masters overrun": oneNode(node(1, 0, 9, "f", 0), 1),
		"not a number":    oneNode(node("x", 0, 1, "f", 0, 2, 0, 0, "v", 4), 1),
		"length wrong":    oneNode(node(1, 0, 1, "f", 0, 2, 0, 0, "v", 4), 2),
	} {
		if _, err := Decode(p); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: %v, want %v", name, err, ErrFormat)
		}
	}
	// The same node, whole, decodes: the cases above fail for what they change.
	if v, err := Decode(oneNode(node(1, 1, 1, "f", 0, 2, 0, 0, "v", 4, 3, 0, 1, "w", 4), 1)); err != nil || len(v.Stream.Entries) != 1 {
		t.Fatalf("the well-formed node: %v", err)
	}
}
