package persist

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode"

	"synap/commands"
)

// Fsync is appendfsync.
type Fsync int32

const (
	FsyncEverysec Fsync = iota
	FsyncAlways
	FsyncNo
)

// ParseFsync reads Redis's appendfsync values.
func ParseFsync(s string) (Fsync, error) {
	switch strings.ToLower(s) {
	case "everysec":
		return FsyncEverysec, nil
	case "always":
		return FsyncAlways, nil
	case "no":
		return FsyncNo, nil
	}
	return 0, fmt.Errorf("appendfsync must be always, everysec or no, got %q", s)
}

func (f Fsync) String() string {
	return [...]string{"everysec", "always", "no"}[f]
}

// segment is encoded records bound for one file generation, in chunks
// written in order; end is the log position (records appended) after its
// last record.
type segment struct {
	gen  uint64
	data [][]byte
	end  uint64
	// tenants is the bytes of data each tenant's records take.
	tenants map[string]int64
}

func (s *segment) size() (n int) {
	for _, d := range s.data {
		n += len(d)
	}
	return n
}

// A record larger than inlineMax is encoded into a buffer of its own
// before the log's lock is taken, and only that buffer is added to the
// batch under it: one tenant's 400 MiB SET would otherwise hold the lock,
// which every writer of every tenant takes with its shard locks held, for
// the whole copy. Smaller records are encoded straight into the batch's
// current chunk, which is closed once it passes chunkMax, so that growing
// it never copies more than that under the lock either.
const (
	inlineMax = 64 << 10
	chunkMax  = 1 << 20
)

// writeEvery is the least time between two writes of the log under
// everysec and no.
const writeEvery = time.Millisecond

// testHookFsync, when set (tests), replaces the result of each fsync.
var testHookFsync func(error) error

// testHookEncoded, when set (tests), runs after a record larger than
// inlineMax is encoded and before it is added to the batch.
var testHookEncoded func()

// Log is the append-only log. The write hook (Write) only encodes the
// record into an in-memory batch under a short lock and wakes the writer:
// a command never waits on the disk there. One writer goroutine writes the
// batches; with appendfsync always it fsyncs after each write, so every
// record that arrived while the previous fsync ran shares the next one
// (group commit); with everysec another goroutine fsyncs once a second.
type Log struct {
	dir, base string
	log       *slog.Logger
	policy    atomic.Int32

	mu     sync.Mutex
	chunks [][]byte // closed chunks of the current generation, before buf
	buf    []byte   // the chunk records are appended to
	spare  []byte
	pos    uint64 // records appended so far
	// posA and syncedA mirror pos and synced for Sync's check without a
	// lock: every reply under always asks, and most find nothing pending.
	posA, syncedA atomic.Uint64
	gen           uint64    // the generation buf belongs to
	sealed        []segment // batches of earlier generations (Rotate), written first
	// maxSeq is the highest seq appended; bases[g] is the seq generation
	// g starts after (its file's header), for recovery to check that no
	// writes are missing between a snapshot and the files, or between files.
	maxSeq uint64
	bases  map[uint64]uint64
	// A tenant's bytes appended and not yet written: in the batch being
	// built (batchTenants), and in all (tenantBacklog), so that one
	// tenant's writes cannot take the whole backlog bound and have every
	// tenant's writes refused.
	batchTenants  map[string]int64
	tenantBacklog map[string]int64

	wake chan struct{}
	stop chan struct{}
	done chan struct{}

	lastWrite time.Time // writer's: when the last batch was taken, without always

	// What reached the file (writer goroutine): queue holds what a failed
	// write left, retried before anything newer.
	queue   []segment
	reuse   []byte // the chunk last taken from buf: the next spare once written
	f       *os.File
	fileGen uint64
	fileMu  sync.Mutex // f against the everysec syncer
	fsyncer *syncer    // under fileMu
	broken  bool       // a failed write could not be undone: next write opens a new generation
	// brokenAt is where the broken file's good data ends; prevGood[g]
	// tells generation g's header, so recovery knows the bytes after it in
	// the previous file are that failed write, not writes missing.
	brokenAt int64
	prevGood map[uint64]int64

	dmu      sync.Mutex
	written  uint64 // positions handed to the OS
	synced   uint64 // positions fsynced
	progress chan struct{}
	waiting  atomic.Int32 // goroutines in Sync (tests watch it)
	err      error        // the last write or fsync failed: writes are refused
	errAt    time.Time
	// errInWrite: err came from a write (only writing the queue whole
	// clears it), not an fsync.
	errInWrite bool
	// ferr: an fsync failed. Linux may have dropped the dirty pages it
	// failed for and reports the error once: a later fsync that succeeds
	// says nothing of them ("fsyncgate"). So it stays, writes refused and
	// synced frozen, until a snapshot whose cut is past every record that
	// was appended when it failed (ferrAt) is in place (Covered).
	ferr    error
	ferrAt  uint64
	healTry atomic.Int64 // unix seconds of the last snapshot asked for to heal it

	// Figures for INFO persistence.
	size         atomic.Int64 // bytes of every log file
	lastSyncNano atomic.Int64 // when the last fsync ended
	delayedSync  atomic.Int64 // fsyncs that took longer than two seconds (aof_delayed_fsync)
	syncs        atomic.Int64 // fsyncs done
	// backlog is the bytes appended and not yet written to a file: what a
	// disk that does not keep up leaves in memory (Manager.Refusal bounds it).
	backlog     atomic.Int64
	lastWriteOK atomic.Bool
	fileSizes   map[uint64]int64 // writer-owned, under fileMu
}

// NewLog opens the log for appending at generation gen (a new file is
// created with the first write). size is the bytes the existing log files
// hold, for INFO.
func NewLog(dir, base string, gen uint64, policy Fsync, existing map[uint64]int64, log *slog.Logger) *Log {
	l := &Log{dir: dir, base: base, log: log, gen: gen, wake: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{}), progress: make(chan struct{}), fsyncer: newSyncer(),
		fileSizes: map[uint64]int64{}, bases: map[uint64]uint64{}, prevGood: map[uint64]int64{}}
	for g, n := range existing {
		l.fileSizes[g] = n
		l.size.Add(n)
	}
	l.policy.Store(int32(policy))
	l.lastWriteOK.Store(true)
	l.lastSyncNano.Store(time.Now().UnixNano())
	go l.writer()
	go l.syncer()
	return l
}

// SetPolicy changes appendfsync live (CONFIG SET). Turning always on
// makes the writer fsync what earlier policies left unsynced, so a reply
// waiting from now on is not left waiting for a write that may never come;
// turning it off releases the replies waiting in Sync.
func (l *Log) SetPolicy(p Fsync) {
	if Fsync(l.policy.Swap(int32(p))) == p {
		return
	}
	l.kick()
	l.dmu.Lock()
	l.wakeWaiters()
	l.dmu.Unlock()
}

// wakeWaiters wakes every goroutine waiting on progress; dmu held.
func (l *Log) wakeWaiters() {
	close(l.progress)
	l.progress = make(chan struct{})
}

// Policy is the appendfsync in force.
func (l *Log) Policy() Fsync { return Fsync(l.policy.Load()) }

// Write is the write hook: it copies r into the batch and returns.
func (l *Log) Write(r commands.Record) {
	if recordLen(&r) > inlineMax {
		enc := appendRecord(nil, &r) // off the lock: only this writer waits for the copy
		if testHookEncoded != nil {
			testHookEncoded()
		}
		l.mu.Lock()
		if len(l.buf) > 0 {
			l.chunks = append(l.chunks, l.buf)
			l.buf = nil
		}
		l.chunks = append(l.chunks, enc)
		l.addTenant(r.Keyspace.Tenant, len(enc))
		l.pos++
		l.maxSeq = max(l.maxSeq, r.Seq)
		l.posA.Store(l.pos)
		l.backlog.Add(int64(len(enc)))
		l.mu.Unlock()
		l.kick()
		return
	}
	l.mu.Lock()
	if len(l.buf) >= chunkMax {
		l.chunks = append(l.chunks, l.buf)
		l.buf = nil
	}
	n := len(l.buf)
	l.buf = appendRecord(l.buf, &r)
	l.addTenant(r.Keyspace.Tenant, len(l.buf)-n)
	l.pos++
	l.maxSeq = max(l.maxSeq, r.Seq)
	l.posA.Store(l.pos)
	l.backlog.Add(int64(len(l.buf) - n))
	l.mu.Unlock()
	l.kick()
}

// addTenant counts n bytes of tenant's in the batch; mu held.
func (l *Log) addTenant(tenant string, n int) {
	if tenant == "" {
		return
	}
	if l.batchTenants == nil {
		l.batchTenants = map[string]int64{}
		if l.tenantBacklog == nil {
			l.tenantBacklog = map[string]int64{}
		}
	}
	l.batchTenants[tenant] += int64(n)
	l.tenantBacklog[tenant] += int64(n)
}

// takeTenants hands the batch's tenant counts to its segment; mu held.
func (l *Log) takeTenants() map[string]int64 {
	t := l.batchTenants
	l.batchTenants = nil
	return t
}

// tenantsWritten takes a written segment's bytes off its tenants' backlogs.
func (l *Log) tenantsWritten(tenants map[string]int64) {
	if len(tenants) == 0 {
		return
	}
	l.mu.Lock()
	for t, n := range tenants {
		if left := l.tenantBacklog[t] - n; left > 0 {
			l.tenantBacklog[t] = left
		} else {
			delete(l.tenantBacklog, t)
		}
	}
	l.mu.Unlock()
}

// TenantBacklog is the bytes of tenant's records not yet written to a
// file, when the whole backlog is over floor (0 otherwise: no tenant's
// share can be passed then, and a write asks without taking the lock).
func (l *Log) TenantBacklog(tenant string, floor int64) int64 {
	if tenant == "" || l.backlog.Load() <= floor {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.tenantBacklog[tenant]
}

// recordLen is the encoded size of r (appendRecord's).
func recordLen(r *commands.Record) int {
	n := recHeader + 8 + 8 + uvarintLen(uint64(len(r.Keyspace.Tenant))) + len(r.Keyspace.Tenant) +
		uvarintLen(uint64(r.Keyspace.DB)) + uvarintLen(uint64(len(r.Args)))
	for _, a := range r.Args {
		n += uvarintLen(uint64(len(a))) + len(a)
	}
	return n
}

// take hands the current generation's chunks to a segment; mu held.
func (l *Log) take() [][]byte {
	data := l.chunks
	if len(l.buf) > 0 {
		data = append(data, l.buf)
	}
	l.chunks, l.buf = nil, nil
	return data
}

func (l *Log) kick() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

func (l *Log) appended() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pos
}

// Rotate makes the records appended from now on go to a new generation and
// returns it. It is the snapshot's cut: called with every shard locked, so
// every record before it is in an older generation and none after it.
func (l *Log) Rotate() (gen, pos uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sealed = append(l.sealed, segment{gen: l.gen, data: l.take(), end: l.pos, tenants: l.takeTenants()})
	l.gen++
	// The cut: every write numbered up to it was appended before.
	l.bases[l.gen] = l.maxSeq
	l.kick()
	return l.gen, l.pos
}

// StartAfter tells the log that the generation it opens with continues
// the history after write seq (what recovery found). Call it before the
// first Write.
func (l *Log) StartAfter(seq uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.maxSeq = max(l.maxSeq, seq)
	l.bases[l.gen] = seq
}

func (l *Log) baseOf(gen uint64) uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.bases[gen]
}

// WaitWritten waits, at most d, until the records up to position pos are
// written to their files.
func (l *Log) WaitWritten(pos uint64, d time.Duration) bool {
	deadline := time.After(d)
	for {
		l.dmu.Lock()
		ok, ch := l.written >= pos, l.progress
		l.dmu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-deadline:
			return false
		case <-l.done:
			l.dmu.Lock()
			ok := l.written >= pos
			l.dmu.Unlock()
			return ok
		}
	}
}

// Gen is the generation new records go to.
func (l *Log) Gen() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.gen
}

// Covered tells the log that a snapshot holding every record up to
// position pos (its cut: Rotate) is in place: they are durable whatever
// their fsyncs said, and a failed fsync whose records it covers no longer
// refuses writes.
func (l *Log) Covered(pos uint64) {
	l.dmu.Lock()
	defer l.dmu.Unlock()
	if l.ferr != nil && pos >= l.ferrAt {
		l.ferr = nil
		if l.err != nil && !l.errInWrite {
			l.log.Warn("a snapshot holds every record whose fsync failed: writes accepted again", "failed_for", time.Since(l.errAt).Round(time.Millisecond).String())
			l.err = nil
			l.lastWriteOK.Store(true)
		}
	}
	if pos > l.synced && l.ferr == nil {
		l.synced = pos
		l.syncedA.Store(pos)
	}
	l.wakeWaiters()
	l.kick() // records after the cut may wait for an fsync now counted
}

// HealDue reports whether an fsync failed, no snapshot covers it yet, and
// none was asked for in the last 5 seconds: the manager then takes one.
func (l *Log) HealDue() bool {
	l.dmu.Lock()
	failed := l.ferr != nil
	l.dmu.Unlock()
	now := time.Now().Unix()
	if !failed || now-l.healTry.Load() < 5 {
		return false
	}
	l.healTry.Store(now)
	return true
}

// Err is why writing failed, nil while the log is healthy.
func (l *Log) Err() error {
	l.dmu.Lock()
	defer l.dmu.Unlock()
	if l.err == nil {
		return l.ferr
	}
	return l.err
}

// Backlog is the bytes appended and not yet written (aof_buffer_length).
func (l *Log) Backlog() int64 { return l.backlog.Load() }

// Size is the bytes of every log file.
func (l *Log) Size() int64 { return l.size.Load() }

// FsyncLag is how long since the last fsync ended while something written
// is not synced yet (0: nothing waits).
func (l *Log) FsyncLag() time.Duration {
	l.dmu.Lock()
	pending := l.written > l.synced
	l.dmu.Unlock()
	if !pending {
		return 0
	}
	return time.Since(time.Unix(0, l.lastSyncNano.Load()))
}

// DelayedFsyncs counts fsyncs that took over two seconds.
func (l *Log) DelayedFsyncs() int64 { return l.delayedSync.Load() }

// LastWriteOK reports whether the last write to the file succeeded.
func (l *Log) LastWriteOK() bool { return l.lastWriteOK.Load() }

// ErrNotDurable is returned to a reply whose records could not be made
// durable (appendfsync always).
var ErrNotDurable = errors.New("the write could not be made durable")

// Sync waits until every record appended so far is on disk, with
// appendfsync always; otherwise it returns at once, and a wait under
// always ends as soon as the policy is changed away from it. It fails
// when writing or fsyncing fails before they are, or when ctx ends.
func (l *Log) Sync(ctx context.Context) (waited bool, err error) {
	if l.Policy() != FsyncAlways {
		return false, nil
	}
	target := l.posA.Load()
	if l.syncedA.Load() >= target {
		return false, nil
	}
	l.waiting.Add(1)
	defer l.waiting.Add(-1)
	for {
		l.dmu.Lock()
		if l.synced >= target || l.Policy() != FsyncAlways {
			l.dmu.Unlock()
			return waited, nil
		}
		if l.err != nil || l.ferr != nil {
			err := l.err
			if err == nil {
				err = l.ferr
			}
			l.dmu.Unlock()
			return waited, err
		}
		ch := l.progress
		l.dmu.Unlock()
		l.kick()
		waited = true
		select {
		case <-ch:
		case <-ctx.Done():
			return waited, ctx.Err()
		case <-l.done:
			l.dmu.Lock()
			ok := l.synced >= target
			l.dmu.Unlock()
			if ok {
				return waited, nil
			}
			return waited, ErrNotDurable
		}
	}
}

// advance records progress and wakes the waiters. err is a failure (of a
// write when inWrite); full says everything queued is written, which
// clears a write's failure. An fsync's failure is not cleared here, and
// from it on no fsync counts as making records durable (Covered).
func (l *Log) advance(written, synced uint64, err error, inWrite, full bool) {
	l.dmu.Lock()
	if written > l.written {
		l.written = written
	}
	if synced > l.synced && l.ferr == nil {
		l.synced = synced
		l.syncedA.Store(synced)
	}
	switch {
	case err != nil:
		if l.err == nil {
			l.log.Error("cannot write the append-only log: writes are refused until it can (MISCONF)", "err", err)
		}
		l.err, l.errAt, l.errInWrite = err, time.Now(), inWrite
		l.lastWriteOK.Store(false)
	case l.err != nil && l.ferr != nil && full:
		// The write went through; the fsync's failure stays (Covered).
		l.err, l.errInWrite = l.ferr, false
	case l.err != nil && l.ferr == nil && (full || !l.errInWrite):
		l.log.Warn("the append-only log is writable again: writes accepted", "failed_for", time.Since(l.errAt).Round(time.Millisecond).String())
		l.err = nil
		l.lastWriteOK.Store(true)
	}
	l.wakeWaiters()
	l.dmu.Unlock()
}

// writer writes batches until Close.
func (l *Log) writer() {
	defer close(l.done)
	retry := time.NewTicker(100 * time.Millisecond)
	defer retry.Stop()
	for {
		select {
		case <-l.wake:
		case <-retry.C:
			if len(l.queue) == 0 {
				continue
			}
		case <-l.stop:
			l.round(true)
			l.fileMu.Lock()
			if l.f != nil {
				_ = l.f.Close()
				l.f = nil
			}
			l.fsyncer.close()
			l.fileMu.Unlock()
			return
		}
		l.round(false)
	}
}

// round writes what was appended (after whatever a failure left queued),
// and fsyncs it with appendfsync always, or when closing.
func (l *Log) round(final bool) {
	if !final {
		if l.Policy() == FsyncAlways {
			// Woken by the first record of a burst: the connections that
			// are ready to run append theirs first, so one write and one
			// fsync take them all, as Redis fsyncs once per pass of its
			// event loop; while a pass still brought records, another is
			// worth it: an fsync costs far more.
			for range 4 {
				before := l.appended()
				runtime.Gosched()
				if l.appended() == before {
					break
				}
			}
		} else {
			// Without a reply waiting on it, a write need not follow each
			// burst: at most one a millisecond, so that under load one
			// write() carries hundreds of records instead of a few, and
			// the writer takes the one P from the connections less often
			// (a record written a millisecond later is still in the
			// everysec window; a crash of the process loses at most that).
			if wait := writeEvery - time.Since(l.lastWrite); wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-t.C:
				case <-l.stop:
				}
				t.Stop()
			}
			l.lastWrite = time.Now()
		}
	}
	l.mu.Lock()
	for _, s := range l.sealed {
		if len(s.data) > 0 { // a rotation with nothing appended since the last
			l.push(s)
		}
	}
	l.sealed = nil
	if len(l.buf) > 0 || len(l.chunks) > 0 {
		if len(l.buf) > 0 && cap(l.buf) <= 4<<20 {
			l.reuse = l.buf
		}
		l.push(segment{gen: l.gen, data: l.take(), end: l.pos, tenants: l.takeTenants()})
		l.buf, l.spare = l.spare[:0], nil
	}
	l.mu.Unlock()
	if len(l.queue) == 0 {
		// Nothing new, but records written under an earlier policy may
		// wait for an fsync (everysec -> always): without one here a reply
		// would wait for the next write to bring it.
		if final || (l.Policy() == FsyncAlways && l.unsynced()) {
			l.syncNow(true)
		}
		return
	}
	policy := l.Policy()
	var written uint64
	var bytes int
	for len(l.queue) > 0 {
		s := l.queue[0]
		bytes += s.size()
		if err := l.writeSegment(s); err != nil {
			l.advance(written, 0, err, true, false)
			return
		}
		written = s.end
		l.backlog.Add(-int64(s.size()))
		l.tenantsWritten(s.tenants)
		l.queue = l.queue[1:]
		if len(l.queue) == 0 && l.reuse != nil {
			l.mu.Lock()
			l.spare = l.reuse[:0] // reused: steady load allocates no batches
			l.mu.Unlock()
			l.reuse = nil
		}
	}
	l.queue = nil
	if policy == FsyncAlways || final {
		// A group commit's fsync is waited for holding the P, up to a
		// bound (syncer.datasync); not a large group's, which may take
		// long, nor the final one.
		err := l.fsync(policy == FsyncAlways && !final && bytes <= rawWriteMax)
		if err != nil {
			l.advance(written, 0, err, false, false)
			return
		}
		l.advance(written, written, nil, false, true)
		return
	}
	l.advance(written, 0, nil, false, true)
}

func (l *Log) push(s segment) {
	if n := len(l.queue); n > 0 && l.queue[n-1].gen == s.gen {
		q := &l.queue[n-1]
		q.data = append(q.data, s.data...)
		q.end = s.end
		if q.tenants == nil {
			q.tenants = s.tenants
		} else {
			for t, n := range s.tenants {
				q.tenants[t] += n
			}
		}
		return
	}
	l.queue = append(l.queue, s)
}

// writeSegment writes s to its generation's file; a failed write is undone
// (the file cut back) so a retry never leaves half a record in the middle.
func (l *Log) writeSegment(s segment) error {
	if err := l.openGen(s.gen); err != nil {
		return err
	}
	before := l.fileSizes[l.fileGen]
	var n int
	var err error
	for _, d := range s.data {
		var m int
		m, err = l.fsyncer.write(l.f, d)
		n += m
		if err != nil {
			break
		}
	}
	if err != nil {
		if n > 0 {
			if terr := l.f.Truncate(before); terr != nil {
				l.log.Error("cannot undo a partial write to the append-only log; continuing in a new file", "err", terr)
				l.fileSizes[l.fileGen] = before + int64(n)
				l.size.Add(int64(n))
				l.broken, l.brokenAt = true, before
			}
		}
		return err
	}
	l.fileSizes[l.fileGen] = before + int64(n)
	l.size.Add(int64(n))
	return nil
}

// openGen makes f the file of generation gen, creating it with its header.
func (l *Log) openGen(gen uint64) error {
	if l.broken {
		l.broken = false
		l.mu.Lock()
		if l.gen == gen {
			l.gen++
		}
		// The next file continues from where the broken one's good data
		// ends: the records of the failed write are written again there.
		if b, ok := l.bases[gen+1]; !ok || l.bases[gen] < b {
			l.bases[gen+1] = l.bases[gen]
		}
		l.mu.Unlock()
		l.prevGood[gen+1] = l.brokenAt
		for i := range l.queue {
			if l.queue[i].gen == gen {
				l.queue[i].gen = gen + 1
			}
		}
		gen++
	}
	if l.f != nil && l.fileGen == gen {
		return nil
	}
	if l.f != nil {
		// The older generation is complete: on disk before the newer one
		// begins, so a newer file never stands on an older one's loss.
		if err := l.fsync(false); err != nil {
			return err
		}
		l.fileMu.Lock()
		_ = l.f.Close()
		l.f = nil
		l.fileMu.Unlock()
	}
	path := LogPath(l.dir, l.base, gen)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return err
	}
	if st.Size() == 0 {
		if _, err := f.Write(fileHeader(l.baseOf(gen), l.prevGood[gen])); err != nil {
			_ = f.Truncate(0)
			_ = f.Close()
			return err
		}
		if err := syncDir(l.dir); err != nil {
			_ = f.Close()
			return err
		}
		l.size.Add(int64(headerSize))
		l.fileSizes[gen] = int64(headerSize)
	} else {
		l.fileSizes[gen] = st.Size()
	}
	l.fileMu.Lock()
	l.f, l.fileGen = f, gen
	l.fileMu.Unlock()
	return nil
}

// fsync syncs the open file, timing it for INFO; hold: see syncer.datasync.
func (l *Log) fsync(hold bool) error {
	l.fileMu.Lock()
	defer l.fileMu.Unlock()
	if l.f == nil {
		return nil
	}
	start := time.Now()
	err := l.fsyncer.datasync(l.f, hold)
	if testHookFsync != nil {
		err = testHookFsync(err)
	}
	if err != nil {
		l.dmu.Lock()
		if l.ferr == nil {
			l.ferr, l.ferrAt = err, l.posA.Load()
		}
		l.dmu.Unlock()
	}
	l.syncs.Add(1)
	if time.Since(start) > 2*time.Second {
		l.delayedSync.Add(1)
	}
	if err == nil {
		l.lastSyncNano.Store(time.Now().UnixNano())
	}
	return err
}

// unsynced reports whether records were written and not fsynced.
func (l *Log) unsynced() bool {
	l.dmu.Lock()
	defer l.dmu.Unlock()
	return l.written > l.synced
}

// syncNow fsyncs what was written (Close, everysec); full: nothing is
// queued (the writer's own goroutine calls it).
func (l *Log) syncNow(full bool) {
	l.dmu.Lock()
	target := l.written
	l.dmu.Unlock()
	if err := l.fsync(false); err != nil {
		l.advance(0, 0, err, false, false)
		return
	}
	l.advance(0, target, nil, false, full)
}

// syncer fsyncs once a second under appendfsync everysec, off the writer's
// path: writes go on while the disk syncs.
func (l *Log) syncer() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-l.done:
			return
		case <-t.C:
		}
		if l.Policy() != FsyncEverysec {
			continue
		}
		l.dmu.Lock()
		pending := l.written > l.synced
		l.dmu.Unlock()
		if pending {
			l.syncNow(false)
		}
	}
}

// Close writes and fsyncs what is appended and stops the writer.
func (l *Log) Close() error {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	<-l.done
	return l.Err()
}

// DropBefore deletes the files of generations older than gen (a rewrite's
// snapshot covers them) and returns how many it deleted.
func (l *Log) DropBefore(gen uint64) (int, error) {
	files, err := listLogs(l.dir, l.base)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, f := range files {
		if f.gen >= gen {
			continue
		}
		if err := os.Remove(f.path); err != nil {
			return n, err
		}
		l.size.Add(-f.size)
		n++
	}
	return n, syncDir(l.dir)
}

// LogPath is the file of generation gen: <appendfilename>.<gen> in dir.
func LogPath(dir, base string, gen uint64) string {
	return filepath.Join(dir, base+"."+strconv.FormatUint(gen, 10))
}

// logFile is one log file found in the directory.
type logFile struct {
	gen  uint64
	path string
	size int64
}

// listLogs finds the log files of base in dir, in generation order.
func listLogs(dir, base string) ([]logFile, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []logFile
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), base+".")
		if !ok || e.IsDir() {
			continue
		}
		g, err := strconv.ParseUint(rest, 10, 64)
		if err != nil {
			continue // base.tmp and the like
		}
		info, err := e.Info()
		if err != nil {
			return nil, err
		}
		out = append(out, logFile{gen: g, path: filepath.Join(dir, e.Name()), size: info.Size()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].gen < out[j].gen })
	return out, nil
}

// syncDir makes a file created or renamed in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}

// Reason is an error as Redis words it after "Errors writing to the AOF
// file: " (strerror: "No space left on device").
func Reason(err error) string {
	var errno syscall.Errno
	msg := err.Error()
	if errors.As(err, &errno) {
		msg = errno.Error()
	}
	r := []rune(msg)
	if len(r) > 0 {
		r[0] = unicode.ToUpper(r[0])
	}
	return string(r)
}
