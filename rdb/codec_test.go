package rdb

import (
	"bytes"
	"errors"
	"testing"
)

func TestChecksumJones(t *testing.T) {
	// The check value of CRC-64/Jones as Redis's own crc64 test states it.
	if got := Checksum([]byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("crc64 = %x", got)
	}
}

func TestStringRoundTrip(t *testing.T) {
	for _, s := range []string{"", "a", "0", "-1", "127", "-128", "128", "32767", "-32769", "2147483647",
		"2147483648", "007", "1 ", "+5", string(bytes.Repeat([]byte("xy"), 100)), string(make([]byte, 70000))} {
		v, err := Decode(DumpString([]byte(s)))
		if err != nil || v.Type != TypeString || string(v.Str) != s {
			t.Errorf("%q: %v %q", s, err, v.Str)
		}
	}
}

func TestHostilePayloads(t *testing.T) {
	good := DumpString([]byte("hello world"))
	bad := append([]byte(nil), good...)
	bad[3] ^= 1
	newer := append([]byte(nil), good...)
	newer[len(newer)-10] = Version + 1
	for _, c := range []struct {
		name string
		p    []byte
		want error
	}{
		{"short", []byte{0, 1, 2}, ErrChecksum},
		{"checksum", bad, ErrChecksum},
		{"version", newer, ErrChecksum},
		// A length of 2^64-1 with nothing behind it must not be allocated.
		{"huge length", seal([]byte{0, 0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}), ErrFormat},
		{"truncated", seal([]byte{0, 10, 'a'}), ErrFormat},
		{"trailing", seal([]byte{0, 1, 'a', 'b'}), ErrFormat},
		{"lzf huge ulen", seal([]byte{0, 0xc3, 2, 0x80, 0xff, 0xff, 0xff, 0xff, 0, 'a'}), ErrFormat},
		{"lzf bad ref", seal([]byte{0, 0xc3, 2, 10, 0x20, 0x05}), ErrFormat},
		{"unknown type", seal([]byte{200, 1, 'a'}), ErrFormat},
	} {
		if _, err := Decode(c.p); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func TestLZF(t *testing.T) {
	// A literal "abc" then a back-reference of 6 bytes 3 back: "abcabcabc".
	out, err := lzfDecompress([]byte{2, 'a', 'b', 'c', 4 << 5, 2}, 9)
	if err != nil || string(out) != "abcabcabc" {
		t.Fatalf("%q %v", out, err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(DumpString([]byte("hello")))
	f.Add(DumpString([]byte("12345")))
	f.Add(DumpList([][]byte{[]byte("a"), []byte("7")}))
	f.Add(DumpZSet([][]byte{[]byte("m")}, []float64{2}))
	f.Add(seal([]byte{TypeHashListpack, 12, 12, 0, 0, 0, 2, 0, 0x81, 'f', 2, 0x01, 2, 0xff}))
	small := sampleStream()
	small.Entries, small.FirstID = small.Entries[:12], small.Entries[0].ID
	f.Add(DumpStream(small))
	f.Fuzz(func(t *testing.T, p []byte) {
		v, err := Decode(p)
		if err == nil && (len(v.Str) > 100*len(p) || len(v.Items) > len(p)) {
			t.Fatalf("decoded %d bytes from %d", len(v.Str), len(p))
		}
		if err == nil && v.Stream != nil && len(v.Stream.Entries) > len(p) {
			t.Fatalf("decoded %d stream entries from %d bytes", len(v.Stream.Entries), len(p))
		}
		// A payload whose checksum is right must still never panic.
		if len(p) > 0 {
			_, _ = Decode(seal(append([]byte(nil), p...)))
		}
	})
}

func TestCollectionRoundTrip(t *testing.T) {
	items := [][]byte{[]byte("a"), []byte("12"), []byte("")}
	for _, p := range [][]byte{DumpList(items), DumpSet(items), DumpHash(items[:2])} {
		v, err := Decode(p)
		if err != nil || len(v.Items) != len(items) && len(v.Items) != 2 {
			t.Fatalf("%v %q", err, v.Items)
		}
	}
	v, err := Decode(DumpZSet(items[:2], []float64{1.5, -2}))
	if err != nil || string(v.Items[1]) != "12" || v.Scores[1] != -2 {
		t.Fatalf("%v %+v", err, v)
	}
}

// TestHostileCollections: counts that claim more elements than the payload
// holds are refused before anything is sized by them.
func TestHostileCollections(t *testing.T) {
	for name, body := range map[string][]byte{
		"list count":         {TypeList, 0x80, 0xff, 0xff, 0xff, 0xff, 1, 'a'},
		"set count 2^64":     {TypeSet, 0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		"hash odd":           {TypeHash, 1, 1, 'f'},
		"zset short score":   {TypeZSet2, 1, 1, 'm', 0, 0},
		"intset bad width":   {TypeSetIntset, 8, 3, 0, 0, 0, 0, 0, 0, 0},
		"intset count":       {TypeSetIntset, 8, 2, 0, 0, 0, 0xff, 0xff, 0, 0},
		"listpack size":      {TypeHashListpack, 7, 0xff, 0, 0, 0, 0, 0, 0xff},
		"listpack overrun":   {TypeHashListpack, 9, 9, 0, 0, 0, 2, 0, 0xbf, 0, 0xff},
		"quicklist nodes":    {TypeListQuicklist, 0x80, 0xff, 0xff, 0xff, 0xff},
		"quicklist kind":     {TypeListQuicklist, 1, 9, 1, 'a'},
		"quicklist empty lp": {TypeListQuicklist, 1, 2, 7, 7, 0, 0, 0, 0, 0, 0xff},
		"zset nan":           {TypeZSet2, 1, 1, 'm', 1, 0, 0, 0, 0, 0, 0xf8, 0x7f},
	} {
		if _, err := Decode(seal(append([]byte(nil), body...))); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
