// Package snapshot writes and loads point-in-time snapshots of every
// keyspace of a server (standalone databases and tenants) in Synap's own
// format; docs/PERSISTENCE.md, "Snapshots", describes it for users.
package snapshot

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"time"

	"synap/commands"
	"synap/engine"
	"synap/sched"
)

// The file:
//
//	"SYNAPSNP", format version (uint32 little endian), then blocks:
//	length (uint32 LE) | CRC32C of the payload (uint32 LE) | payload
//
// A payload starts with its type: 'H' the header (created unix ms, the
// write sequence the snapshot covers, the keys stored at the cut, the
// namespace table: index, tenant id, database), 'D' data (key records,
// codec.go), 'E' the end (keys written, data blocks, data bytes). A file
// is whole only if it ends right after its end block, so a truncated
// file is refused, never half loaded.

const (
	magic = "SYNAPSNP"
	// Version is the format version this build writes and the newest it
	// reads.
	Version = 1

	blockHeader = 'H'
	blockData   = 'D'
	blockEnd    = 'E'

	// blockTarget is the size a data block is cut at (a single large
	// value makes a larger one).
	blockTarget = 256 << 10
)

// maxPending is how many bytes of pre-images may wait in the shards' side
// buffers before the serializer drains them all (a variable for tests).
var maxPending int64 = 4 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Stats describes a snapshot written or loaded.
type Stats struct {
	Seq     uint64        // the write sequence the snapshot covers
	Keys    int64         // keys written (Write) or loaded (Load)
	Bytes   int64         // the file's size
	Took    time.Duration // how long Write or Load took
	Created time.Time     // the cut
	// Preimaged (Write) is how many keys writers captured ahead of the
	// walk, as they were at the cut, before changing them.
	Preimaged int64
}

// Write takes a point-in-time snapshot of every keyspace (standalone DBs
// and tenants) and writes it to path through path+".tmp" (fsync, rename,
// fsync of the directory), so a crash mid-write leaves the previous file
// valid. cut, if not nil, runs at the cut instant, while every shard is
// locked, with the write hook's sequence at that instant (the log rotates
// there: records <= seq are in the snapshot, records > seq are not).
// cut must not take shard locks; Write must not be called by a goroutine
// holding any (a command inside EXEC): the cut takes them all.
func Write(ctx context.Context, srv *commands.Server, path string, cut func(seq uint64)) (st Stats, err error) {
	start := time.Now()
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return st, fmt.Errorf("snapshot %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
			err = fmt.Errorf("snapshot %s: %w", path, err)
		}
	}()

	var table []commands.Keyspace
	var keysAtCut int64
	snap, err := srv.Eng.BeginSnapshot(func(dst []byte, ns *engine.Namespace, en *engine.Entry) []byte {
		return encodeEntry(dst, ns.ID, en)
	}, func() {
		st.Seq = srv.WriteSeq()
		st.Created = time.Now()
		for _, ns := range srv.Eng.Namespaces() {
			table = append(table, commands.KeyspaceOf(ns))
			keysAtCut += ns.Keys()
		}
		if cut != nil {
			cut(st.Seq)
		}
	})
	if err != nil {
		return st, err
	}
	defer snap.End()

	w := &blockWriter{w: bufio.NewWriterSize(&writeback{f: f, start: startWriteback}, 1<<20)}
	if _, err := w.w.WriteString(magic); err != nil {
		return st, err
	}
	if err := binary.Write(w.w, binary.LittleEndian, uint32(Version)); err != nil {
		return st, err
	}
	w.n = int64(len(magic) + 4)
	hdr := []byte{blockHeader}
	hdr = binary.AppendVarint(hdr, st.Created.UnixMilli())
	hdr = binary.AppendUvarint(hdr, st.Seq)
	hdr = binary.AppendUvarint(hdr, uint64(keysAtCut))
	hdr = binary.AppendUvarint(hdr, uint64(len(table)))
	for i, ks := range table {
		hdr = binary.AppendUvarint(hdr, uint64(i))
		hdr = appendString(hdr, ks.Tenant)
		hdr = binary.AppendUvarint(hdr, uint64(ks.DB))
	}
	if err := w.block(hdr); err != nil {
		return st, err
	}

	// The serializer: shard by shard, a batch per hold of the lock; the
	// disk is written with no lock held.
	buf := []byte{blockData}
	var blocks, dataBytes int64
	flush := func() error {
		if len(buf) == 1 {
			return nil
		}
		blocks++
		dataBytes += int64(len(buf))
		err := w.block(buf)
		buf = recycle(buf)
		return err
	}
	for i := range snap.Shards() {
		for done := false; !done; {
			if err := ctx.Err(); err != nil {
				return st, err
			}
			buf, done = snap.Next(i, buf)
			// Background work: the connections waiting for the
			// processor go first (as a keyspace walk lets them).
			sched.Maybe()
			if snap.Pending() > maxPending {
				// Writers ran ahead of the walk: their pre-images go
				// out now rather than wait for their shards' turn.
				for j := range snap.Shards() {
					buf = snap.Drain(j, buf)
					if len(buf) >= blockTarget {
						if err := flush(); err != nil {
							return st, err
						}
					}
				}
			}
			if len(buf) >= blockTarget {
				if err := flush(); err != nil {
					return st, err
				}
			}
		}
	}
	if err := flush(); err != nil {
		return st, err
	}
	if err := snap.Err(); err != nil {
		return st, err
	}
	st.Keys, st.Preimaged = snap.Keys(), snap.Preimaged()
	end := []byte{blockEnd}
	end = binary.AppendUvarint(end, uint64(st.Keys))
	end = binary.AppendUvarint(end, uint64(blocks))
	end = binary.AppendUvarint(end, uint64(dataBytes))
	if err := w.block(end); err != nil {
		return st, err
	}
	if err := w.w.Flush(); err != nil {
		return st, err
	}
	if err := f.Sync(); err != nil {
		return st, err
	}
	if err := f.Close(); err != nil {
		return st, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return st, err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		err = d.Sync()
		_ = d.Close()
		if err != nil {
			return st, fmt.Errorf("snapshot %s: fsync of its directory: %w", path, err)
		}
	}
	st.Bytes = w.n
	st.Took = time.Since(start)
	return st, nil
}

// recycle empties a data block's buffer, keeping a small one for reuse.
func recycle(b []byte) []byte {
	if cap(b) > 4*blockTarget {
		return []byte{blockData}
	}
	return append(b[:0], blockData)
}

type blockWriter struct {
	w *bufio.Writer
	n int64
}

func (b *blockWriter) block(payload []byte) error {
	var h [8]byte
	binary.LittleEndian.PutUint32(h[:4], uint32(len(payload)))
	binary.LittleEndian.PutUint32(h[4:], crc32.Checksum(payload, castagnoli))
	if _, err := b.w.Write(h[:]); err != nil {
		return err
	}
	_, err := b.w.Write(payload)
	b.n += int64(len(h) + len(payload))
	return err
}

// ---- loading ----

// loadError says what is wrong with the file and where.
func loadError(path string, off int64, format string, args ...any) error {
	return fmt.Errorf("snapshot %s: %s (at offset %d)", path, fmt.Sprintf(format, args...), off)
}

// file reads the blocks of a snapshot.
type file struct {
	path string
	r    *bufio.Reader
	off  int64
	size int64
}

// next reads one block: its payload, the payload's offset. Its length is
// compared with what remains of the file before anything is allocated.
func (f *file) next() ([]byte, int64, error) {
	var h [8]byte
	at := f.off
	if _, err := io.ReadFull(f.r, h[:]); err != nil {
		if err == io.EOF {
			return nil, at, loadError(f.path, at, "the file ends without its end block: truncated")
		}
		return nil, at, loadError(f.path, at, "block header: truncated (%v)", err)
	}
	n := int64(binary.LittleEndian.Uint32(h[:4]))
	sum := binary.LittleEndian.Uint32(h[4:])
	f.off += 8
	if n == 0 || n > f.size-f.off {
		return nil, at, loadError(f.path, at, "block of %d bytes with %d left in the file: truncated or corrupt", n, f.size-f.off)
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(f.r, p); err != nil {
		return nil, at, loadError(f.path, at, "block: %v", err)
	}
	f.off += n
	if crc32.Checksum(p, castagnoli) != sum {
		return nil, at, loadError(f.path, at, "block checksum mismatch: the file is corrupt")
	}
	return p, at + 8, nil
}

func open(path string) (*file, *os.File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("snapshot %s: %w", path, err)
	}
	info, err := fh.Stat()
	if err != nil {
		_ = fh.Close()
		return nil, nil, fmt.Errorf("snapshot %s: %w", path, err)
	}
	// A small file gets a small buffer: what Load allocates stays a small
	// multiple of the file whatever it holds (FuzzLoad).
	f := &file{path: path, r: bufio.NewReaderSize(fh, int(min(1<<20, info.Size()+16))), size: info.Size()}
	var pre [12]byte
	if _, err := io.ReadFull(f.r, pre[:]); err != nil || string(pre[:8]) != magic {
		_ = fh.Close()
		return nil, nil, loadError(path, 0, "not a Synap snapshot (no %q magic)", magic)
	}
	f.off = 12
	if v := binary.LittleEndian.Uint32(pre[8:]); v > Version {
		_ = fh.Close()
		return nil, nil, fmt.Errorf("snapshot %s: format version %d is newer than this build (%d)", path, v, Version)
	} else if v == 0 {
		_ = fh.Close()
		return nil, nil, loadError(path, 8, "format version 0")
	}
	return f, fh, nil
}

// header is the decoded header block.
type header struct {
	created int64
	seq     uint64
	keys    uint64
	table   []commands.Keyspace
	written uint64 // the end block's count of key records
}

func parseHeader(path string, p []byte, off int64) (header, error) {
	var h header
	r := &reader{b: p, off: 1}
	if p[0] != blockHeader {
		return h, loadError(path, off, "the first block is not the header")
	}
	h.created = r.varint()
	h.seq = r.uvarint()
	h.keys = r.uvarint()
	n := r.count(3)
	for i := range n {
		idx := r.uvarint()
		tenant := r.bytes()
		db := r.uvarint()
		if r.err != nil {
			break
		}
		if idx != uint64(i) || db > 1<<20 {
			r.fail("namespace table entry %d out of order or out of range", i)
			break
		}
		h.table = append(h.table, commands.Keyspace{Tenant: string(tenant), DB: int(db)})
	}
	if r.err == nil && r.left() != 0 {
		r.fail("%d bytes after the header", r.left())
	}
	if r.err != nil {
		return h, loadError(path, off+int64(r.off), "header: %v", r.err)
	}
	return h, nil
}

// verify reads the whole file once, checking every block's checksum, the
// order of the blocks and that the file ends right after its end block,
// before anything is loaded.
func verify(path string) (header, error) {
	f, fh, err := open(path)
	if err != nil {
		return header{}, err
	}
	defer fh.Close()
	p, off, err := f.next()
	if err != nil {
		return header{}, err
	}
	h, err := parseHeader(path, p, off)
	if err != nil {
		return h, err
	}
	var blocks, bytes uint64
	for {
		p, off, err := f.next()
		if err != nil {
			return h, err
		}
		switch p[0] {
		case blockData:
			blocks++
			bytes += uint64(len(p))
			continue
		case blockEnd:
		default:
			return h, loadError(path, off, "unknown block type %#x", p[0])
		}
		r := &reader{b: p, off: 1}
		h.written = r.uvarint()
		wantBlocks, wantBytes := r.uvarint(), r.uvarint()
		if r.err != nil || r.left() != 0 {
			return h, loadError(path, off, "end block malformed")
		}
		if wantBlocks != blocks || wantBytes != bytes {
			return h, loadError(path, off, "end block counts %d blocks of %d bytes, the file has %d of %d", wantBlocks, wantBytes, blocks, bytes)
		}
		if f.off != f.size {
			return h, loadError(path, f.off, "%d bytes after the end block", f.size-f.off)
		}
		return h, nil
	}
}

// Load reads path into srv (which must hold no keys), skipping keys whose
// deadline has passed (by the engine's clock: the wall clock, or the time
// a recovery pinned), and returns the sequence the file covers. Errors
// say what is wrong and where (offset); a file of a newer format version
// is refused: "snapshot <path>: format version N is newer than this build
// (M)". The whole file is verified (checksums, order, completeness) before
// a key is loaded; a record that does not decode stops the load and
// leaves srv empty again.
func Load(srv *commands.Server, path string) (st Stats, err error) {
	start := time.Now()
	for _, ns := range srv.Eng.Namespaces() {
		if ns.Keys() != 0 {
			return st, fmt.Errorf("snapshot %s: the server already holds keys (namespace %q)", path, ns.Name)
		}
	}
	h, err := verify(path)
	if err != nil {
		return st, err
	}
	st.Seq, st.Created = h.seq, time.UnixMilli(h.created)
	nss := make([]*engine.Namespace, len(h.table))
	for i, ks := range h.table {
		ns, err := srv.NamespaceOf(ks)
		if err != nil {
			return st, fmt.Errorf("snapshot %s: %w", path, err)
		}
		nss[i] = ns
	}
	f, fh, err := open(path)
	if err != nil {
		return st, err
	}
	defer fh.Close()
	st.Bytes = f.size
	defer func() {
		if err != nil {
			emptyAll(srv)
		}
	}()
	if _, _, err := f.next(); err != nil { // the header, verified
		return st, err
	}
	tx := srv.Eng.NewTx()
	now := srv.Eng.Clock() // pinned by recovery when a log follows
	var key [1][]byte
	var records uint64
	for {
		p, off, err := f.next()
		if err != nil {
			return st, err
		}
		if p[0] == blockEnd {
			break
		}
		r := &reader{b: p, off: 1}
		for r.left() > 0 {
			at := r.off
			rec := r.decodeEntry()
			records++
			if r.err == nil && rec.ns >= uint64(len(nss)) {
				r.fail("namespace %d is not in the header's table", rec.ns)
			}
			if r.err != nil {
				return st, loadError(path, off+int64(at), "key record: %v", r.err)
			}
			if rec.en == nil && !rec.isStr || rec.at != 0 && rec.at <= now {
				continue // an empty aggregate, or expired while the server was down
			}
			ns := nss[rec.ns]
			key[0] = rec.key
			tx.Now = now
			tx.Begin(ns, key[:], true)
			if tx.Exists(rec.key) {
				tx.End()
				return st, loadError(path, off+int64(at), "key %q of %s appears twice", rec.key, keyspaceName(h.table[rec.ns]))
			}
			if rec.isStr {
				tx.SetString(rec.key, rec.str, rec.at).Raw = rec.raw
				tx.End()
				st.Keys++
				continue
			}
			tx.PutExpire(rec.key, rec.en, rec.at)
			tx.End()
			if q, ok := rec.en.Obj().(*engine.Queue); ok {
				srv.LoadedQueue(ns, string(rec.key), q)
			}
			st.Keys++
		}
	}
	if records != h.written {
		return st, loadError(path, f.off, "%d key records, the end block counts %d", records, h.written)
	}
	st.Took = time.Since(start)
	return st, nil
}

// keyspaceName names a keyspace in an error.
func keyspaceName(ks commands.Keyspace) string {
	if ks.Tenant != "" {
		return fmt.Sprintf("tenant %q", ks.Tenant)
	}
	return fmt.Sprintf("database %d", ks.DB)
}

// emptyAll removes every key again after a load failed part way.
func emptyAll(srv *commands.Server) {
	tx := srv.Eng.NewTx()
	for _, ns := range srv.Eng.Namespaces() {
		if ns.Keys() == 0 {
			continue
		}
		tx.BeginAll(ns, true)
		tx.Flush()
		tx.End()
	}
}
