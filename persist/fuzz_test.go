package persist

import (
	"reflect"
	"testing"

	"synap/commands"
)

// FuzzDecodePayload: a record's payload from a damaged or hostile file
// never panics nor allocates past its own size, and what decodes encodes
// back to the same record.
func FuzzDecodePayload(f *testing.F) {
	for _, r := range sampleRecords() {
		f.Add(appendRecord(nil, &r)[recHeader:])
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, p []byte) {
		r, err := decodePayload(p)
		if err != nil {
			return
		}
		again, err := decodePayload(appendRecord(nil, &r)[recHeader:])
		if err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		if !reflect.DeepEqual(normal(r), normal(again)) {
			t.Fatalf("round trip: %+v became %+v", r, again)
		}
	})
}

func normal(r commands.Record) commands.Record {
	for i, a := range r.Args {
		if len(a) == 0 {
			r.Args[i] = nil
		}
	}
	return r
}
