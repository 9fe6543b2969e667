package rdb

import (
	"bytes"
	"encoding/binary"
	"errors"
)

// ErrFile is an RDB file that does not parse.
var ErrFile = errors.New("rdb: bad file")

// Record is one key of an RDB file.
type Record struct {
	DB       int
	Key      []byte
	Value    Value
	ExpireAt int64 // unix ms, 0 for none
}

// ReadFile parses a whole RDB file of version 10 or lower (header, aux
// fields, SELECTDB, RESIZEDB, expiry, idle and frequency opcodes, EOF and
// its checksum) and calls fn for each key. The checksum is verified before
// any key is handed out, so a damaged file adds nothing.
func ReadFile(b []byte, fn func(Record) error) error {
	if len(b) < 9+1+8 || !bytes.HasPrefix(b, []byte("REDIS")) {
		return ErrFile
	}
	ver := 0
	for _, c := range b[5:9] {
		if c < '0' || c > '9' {
			return ErrFile
		}
		ver = ver*10 + int(c-'0')
	}
	if ver > Version || ver < 1 {
		return ErrFile
	}
	n := len(b)
	if b[n-9] != 0xff {
		return ErrFile
	}
	// A file written with checksums off carries zero.
	if sum := binary.LittleEndian.Uint64(b[n-8:]); sum != 0 && sum != Checksum(b[:n-8]) {
		return ErrChecksum
	}
	r := NewReader(b[9 : n-9])
	db, expire := 0, int64(0)
	for r.Rest() > 0 {
		op, _ := r.Byte()
		switch op {
		case 0xfa: // AUX: a name and a value, not data
			if _, err := r.String(); err != nil {
				return ErrFile
			}
			if _, err := r.String(); err != nil {
				return ErrFile
			}
		case 0xfe: // SELECTDB
			d, err := r.Len()
			if err != nil || d > 1<<16 {
				return ErrFile
			}
			db = int(d)
		case 0xfb: // RESIZEDB: sizing hints
			if _, err := r.Len(); err != nil {
				return ErrFile
			}
			if _, err := r.Len(); err != nil {
				return ErrFile
			}
		case 0xfd: // EXPIRETIME in seconds
			v, err := r.take(4)
			if err != nil {
				return ErrFile
			}
			expire = int64(binary.LittleEndian.Uint32(v)) * 1000
		case 0xfc: // EXPIRETIME_MS
			v, err := r.take(8)
			if err != nil {
				return ErrFile
			}
			expire = int64(binary.LittleEndian.Uint64(v))
		case 0xf8: // IDLE: Synap keeps no idle time
			if _, err := r.Len(); err != nil {
				return ErrFile
			}
		case 0xf9: // FREQ
			if _, err := r.take(1); err != nil {
				return ErrFile
			}
		default:
			key, err := r.String()
			if err != nil {
				return ErrFile
			}
			var v Value
			if op == TypeString {
				s, err := r.String()
				if err != nil {
					return ErrFile
				}
				v = Value{Type: TypeString, Str: s}
			} else if v, err = r.decodeCollection(op); err != nil {
				return err
			}
			if err := fn(Record{DB: db, Key: key, Value: v, ExpireAt: expire}); err != nil {
				return err
			}
			expire = 0
		}
	}
	return nil
}
