// Package persist keeps a Synap server's data across restarts: an
// append-only log of every write as executed (fed by the write hook,
// commands.WriteHook), point-in-time snapshots (package persist/snapshot)
// as the base the log is compacted onto, recovery from both before the
// server serves, and the lock that keeps two servers off one directory.
// docs/PERSISTENCE.md describes the files and the settings.
package persist

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"slices"

	"synap/commands"
)

// The log's file format. A file starts with a header: the magic, the
// format version (uint32), the CRC32C of the rest of the header (uint32),
// the base (uint64: the sequence number the file starts after; every write
// numbered up to it is in the snapshot or the files before this one) and
// the previous generation's good size (uint64: 0, or where the previous
// file's good data ends when a failed write there could not be undone and
// the log went on in this file). Records follow, each: payload length
// (uint32), CRC32C of the payload (uint32), then the payload: seq
// (uint64), time (int64, unix ms), the keyspace (tenant id as a uvarint
// length and bytes, database number as a uvarint) and the command
// (argument count, then each argument as a uvarint length and bytes).
// Little-endian throughout. Every record is checked on its own, so a torn
// tail is found at the exact record it tore.
//
// Version 1 (the first build with a log) had a 16-byte header: the magic,
// the version and four reserved bytes; it is still read (its base is
// taken from its first record).
const (
	magic         = "SYNAPLOG"
	FormatVersion = 2
	headerSizeV1  = len(magic) + 8
	headerSize    = headerSizeV1 + 16
	recHeader     = 8
	// maxRecord bounds a payload read back: a corrupt length must not make
	// recovery allocate gigabytes. Larger than any write a client can send
	// (proto-max-bulk-len times the arguments would be larger, but a record
	// over 4 GiB cannot be framed by a uint32 length anyway).
	maxRecord = 1<<32 - 1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// logHeader is a log file's header as read.
type logHeader struct {
	version uint32
	size    int    // bytes: where the records start
	base    uint64 // version 2: the seq the file starts after
	// prevGood (version 2): the previous generation's good data ends at
	// this offset (0: the previous file is whole).
	prevGood int64
}

// fileHeader is the header a new log file starts with.
func fileHeader(base uint64, prevGood int64) []byte {
	h := make([]byte, headerSize)
	copy(h, magic)
	binary.LittleEndian.PutUint32(h[len(magic):], FormatVersion)
	binary.LittleEndian.PutUint64(h[headerSizeV1:], base)
	binary.LittleEndian.PutUint64(h[headerSizeV1+8:], uint64(prevGood))
	binary.LittleEndian.PutUint32(h[len(magic)+4:], crc32.Checksum(h[headerSizeV1:], castagnoli))
	return h
}

// ErrNewerFormat is returned for a file written by a newer Synap.
var ErrNewerFormat = errors.New("newer format version")

// checkHeader validates the first headerSizeV1 bytes of a file (the
// magic and the version) and says how long the header is.
func checkHeader(h []byte) (logHeader, error) {
	var lh logHeader
	if len(h) < headerSizeV1 || string(h[:len(magic)]) != magic {
		return lh, errors.New("not a Synap log file (bad magic)")
	}
	lh.version = binary.LittleEndian.Uint32(h[len(magic):])
	switch {
	case lh.version > FormatVersion:
		return lh, fmt.Errorf("%w: written in format version %d, this build reads up to %d: run a newer synap", ErrNewerFormat, lh.version, FormatVersion)
	case lh.version == 0:
		return lh, errors.New("bad format version 0")
	case lh.version == 1:
		lh.size = headerSizeV1
	default:
		lh.size = headerSize
	}
	return lh, nil
}

// parseRest reads the rest of a version 2 header (h is the whole header).
func (lh *logHeader) parseRest(h []byte) error {
	if lh.version < 2 {
		return nil
	}
	if crc32.Checksum(h[headerSizeV1:headerSize], castagnoli) != binary.LittleEndian.Uint32(h[len(magic)+4:]) {
		return errors.New("header checksum mismatch")
	}
	lh.base = binary.LittleEndian.Uint64(h[headerSizeV1:])
	lh.prevGood = int64(binary.LittleEndian.Uint64(h[headerSizeV1+8:]))
	if lh.prevGood < 0 {
		return errors.New("bad header")
	}
	return nil
}

// appendRecord encodes r onto buf, copying its arguments (they are lent
// for the duration of the hook only).
func appendRecord(buf []byte, r *commands.Record) []byte {
	n := 8 + 8 + uvarintLen(uint64(len(r.Keyspace.Tenant))) + len(r.Keyspace.Tenant) +
		uvarintLen(uint64(r.Keyspace.DB)) + uvarintLen(uint64(len(r.Args)))
	for _, a := range r.Args {
		n += uvarintLen(uint64(len(a))) + len(a)
	}
	buf = slices.Grow(buf, recHeader+n)
	start := len(buf)
	buf = append(buf, make([]byte, recHeader)...)
	buf = binary.LittleEndian.AppendUint64(buf, r.Seq)
	buf = binary.LittleEndian.AppendUint64(buf, uint64(r.Time))
	buf = binary.AppendUvarint(buf, uint64(len(r.Keyspace.Tenant)))
	buf = append(buf, r.Keyspace.Tenant...)
	buf = binary.AppendUvarint(buf, uint64(r.Keyspace.DB))
	buf = binary.AppendUvarint(buf, uint64(len(r.Args)))
	for _, a := range r.Args {
		buf = binary.AppendUvarint(buf, uint64(len(a)))
		buf = append(buf, a...)
	}
	payload := buf[start+recHeader:]
	binary.LittleEndian.PutUint32(buf[start:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(buf[start+4:], crc32.Checksum(payload, castagnoli))
	return buf
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// decodePayload decodes a record's payload (its checksum already checked).
// The arguments alias p.
func decodePayload(p []byte) (commands.Record, error) {
	var r commands.Record
	if len(p) < 16 {
		return r, errors.New("record too short")
	}
	r.Seq = binary.LittleEndian.Uint64(p)
	r.Time = int64(binary.LittleEndian.Uint64(p[8:]))
	p = p[16:]
	next := func() (uint64, bool) {
		v, n := binary.Uvarint(p)
		if n <= 0 {
			return 0, false
		}
		p = p[n:]
		return v, true
	}
	bytesOf := func() ([]byte, bool) {
		l, ok := next()
		if !ok || l > uint64(len(p)) {
			return nil, false
		}
		b := p[:l:l]
		p = p[l:]
		return b, true
	}
	tenant, ok := bytesOf()
	if !ok {
		return r, errors.New("bad keyspace")
	}
	db, ok := next()
	if !ok || db > 1<<31 {
		return r, errors.New("bad database number")
	}
	argc, ok := next()
	if !ok || argc == 0 || argc > uint64(len(p)) {
		return r, errors.New("bad argument count")
	}
	r.Keyspace = commands.Keyspace{Tenant: string(tenant), DB: int(db)}
	r.Args = make([][]byte, argc)
	for i := range r.Args {
		if r.Args[i], ok = bytesOf(); !ok {
			return r, errors.New("bad argument")
		}
	}
	if len(p) != 0 {
		return r, errors.New("trailing bytes in record")
	}
	return r, nil
}
