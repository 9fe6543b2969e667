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
	f.Fuzz(func(t *testing.T, p []byte) {
		v, err := Decode(p)
		if err == nil && len(v.Str) > 100*len(p) {
			t.Fatalf("decoded %d bytes from %d", len(v.Str), len(p))
		}
		// A payload whose checksum is right must still never panic.
		if len(p) > 0 {
			_, _ = Decode(seal(append([]byte(nil), p...)))
		}
	})
}
