package persist

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"synap/commands"
)

// Options are the persistence settings a manager starts with (Redis's
// names; the live ones are read from the server's config).
type Options struct {
	Dir            string
	AppendOnly     bool
	AppendFsync    Fsync
	AppendFilename string
	DBFilename     string
	Log            *slog.Logger
	// MaxBacklog bounds the log's bytes not yet written: past it writes
	// are refused (MISCONF) until the disk catches up, so a disk that
	// stalls cannot make the server buffer without end. 0: 512 MiB.
	MaxBacklog int64
}

// Manager runs persistence for one server: it holds the directory's lock,
// recovers before the server serves, feeds the log from the write hook,
// and takes snapshots (save points, SAVE, BGSAVE, rewrites).
type Manager struct {
	srv  *commands.Server
	opts Options
	log  *slog.Logger
	lock *os.File
	aof  *Log // nil with appendonly no

	// changes counts writes since the last snapshot (save points,
	// rdb_changes_since_last_save).
	changes atomic.Int64

	loading        atomic.Bool
	lastSave       atomic.Int64
	lastSaveOK     atomic.Bool
	lastRewriteOK  atomic.Bool
	saving         atomic.Bool // a snapshot is being written
	rewriting      atomic.Bool // ... as a rewrite's base
	rewrites       atomic.Int64
	lastSaveSecs   atomic.Int64
	lastRewriteSec atomic.Int64
	saveStarted    atomic.Int64 // unix nanos
	baseSize       atomic.Int64 // snapshot size at the last rewrite
	lastBGSaveTry  atomic.Int64

	saveMu sync.Mutex // one snapshot at a time
	bgMu   sync.Mutex // held while a background snapshot runs
	// scheduled: BGSAVE SCHEDULE (or BGREWRITEAOF) came while a snapshot
	// ran; it starts when that one ends.
	scheduled        atomic.Bool
	scheduledRewrite atomic.Bool
	// rewriteBase is the snapshot and log size after the last rewrite
	// (or at start), what auto-aof-rewrite-percentage grows from.
	rewriteBase atomic.Int64
	stop        chan struct{}
	done        chan struct{}
	closed      atomic.Bool
	wg          sync.WaitGroup

	// Recovered is what recovery found.
	Recovered Recovery
}

// Recovery is what start-up loaded.
type Recovery struct {
	SnapshotKeys int64
	Records      int
	Keys         int64
	Duration     time.Duration
	Last         uint64
	Truncated    []string
}

// Open takes dir's lock, recovers the data into srv (snapshot, then every
// log file in generation order), and installs the log as srv's write hook
// with the sequence continuing after the last record recovered. Call it
// before serving.
func Open(srv *commands.Server, opts Options) (*Manager, error) {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	lock, err := lockDir(opts.Dir)
	if err != nil {
		return nil, err
	}
	m := &Manager{srv: srv, opts: opts, log: opts.Log, lock: lock, stop: make(chan struct{}), done: make(chan struct{})}
	m.lastSaveOK.Store(true)
	m.lastRewriteOK.Store(true)
	m.lastSave.Store(time.Now().Unix())
	if err := m.recover(); err != nil {
		_ = lock.Close()
		return nil, err
	}
	srv.SetPersistence(m)
	// With appendonly no the hook still counts changes, for the save points.
	srv.SetWriteHookFrom(hook{m}, m.Recovered.Last)
	go m.cron()
	return m, nil
}

// hook is the write hook: the log (when on) and the change counter.
type hook struct{ m *Manager }

func (h hook) Write(r commands.Record) {
	h.m.changes.Add(1)
	if l := h.m.aof; l != nil {
		l.Write(r)
	}
}

// recover loads the snapshot and the log files.
func (m *Manager) recover() error {
	start := time.Now()
	m.loading.Store(true)
	defer m.loading.Store(false)
	// The snapshot's load pins the clock and the replay keeps it pinned
	// (each record at its own time) until it ends; on every path out,
	// the wall clock again.
	defer m.srv.Eng.PinClock(0)
	var after uint64
	snapSeq, snapKeys, found, err := m.loadSnapshot()
	if err != nil {
		return err
	}
	if found {
		after = snapSeq
		m.Recovered.SnapshotKeys = snapKeys
	}
	files, err := listLogs(m.opts.Dir, m.opts.AppendFilename)
	if err != nil {
		return fmt.Errorf("cannot read the data directory %s: %w", m.opts.Dir, err)
	}
	nextGen := uint64(1)
	existing := map[uint64]int64{}
	// stale is the highest write numbered in log files not loaded
	// (appendonly no): new writes are numbered after it, so a snapshot
	// taken from now on covers every record of those files, and turning
	// appendonly on again never replays them on top of it.
	var stale uint64
	if !m.opts.AppendOnly {
		for _, f := range files {
			res, err := scanFile(f.path, nil)
			if err != nil {
				// Not loaded either way; with appendonly on again, the same
				// error stops start-up before anything is replayed.
				m.log.Warn("appendonly is no: a log file in the data directory cannot be read", "file", f.path, "err", err)
			}
			if b, ok := res.base(); ok {
				stale = max(stale, b)
			}
			stale = max(stale, res.MaxSeq)
		}
		if len(files) > 0 {
			m.log.Warn("appendonly is no: the log files in the data directory are not loaded (the next snapshot supersedes them: turning appendonly on again after it does not replay them)",
				"dir", m.opts.Dir, "files", len(files))
		}
		files = nil
	}
	rp := newReplayer(m.srv, after, m.log)
	// covered: every write numbered up to it is in the snapshot or the
	// files read so far. A file whose history starts after it (its
	// header's base) stands on writes nobody has: a deleted or older
	// snapshot, or a deleted file.
	covered := after
	for i, f := range files {
		res, err := scanFile(f.path, func(r commands.Record) error {
			rp.add(r)
			return nil
		})
		if err != nil {
			return fmt.Errorf("cannot recover from %s: %w", f.path, err)
		}
		if rp.Err != nil {
			return rp.Err
		}
		if res.Bad != nil {
			return res.Bad
		}
		if base, ok := res.base(); ok && base > covered {
			return &GapError{File: f.path, Base: base, Covered: covered, First: i == 0, Snapshot: m.snapPath(), Found: found}
		}
		if res.Torn {
			// A crash tears only the file being written: the last. The
			// writer fsyncs a generation before it opens the next, so an
			// older one cut short lost writes that were acknowledged,
			// unless the next file's header says a failed write was left
			// there (the writer went on in a new file).
			if i < len(files)-1 && !brokenAt(files[i+1], f.gen, res.Good) {
				return &CorruptError{File: f.path, Offset: res.Good, Reason: fmt.Sprintf(
					"a record cut short, but %s follows it: a crash cannot tear a file the server had finished, so writes are missing", files[i+1].path)}
			}
			m.log.Warn("the log's last record was cut short (a crash while it was written, so never acknowledged): truncating the file at the last whole record",
				"file", f.path, "offset", res.Good, "dropped_bytes", res.Size-res.Good)
			if err := truncateAt(f.path, res.Good); err != nil {
				return fmt.Errorf("cannot truncate the torn log file %s: %w", f.path, err)
			}
			m.Recovered.Truncated = append(m.Recovered.Truncated, f.path)
			f.size = res.Good
		}
		covered = max(covered, res.MaxSeq)
		if f.size >= int64(headerSizeV1) {
			existing[f.gen] = f.size
		}
		nextGen = f.gen + 1
	}
	rp.finish()
	m.Recovered.Records = rp.Applied
	m.Recovered.Last = rp.Last
	m.Recovered.Last = max(m.Recovered.Last, snapSeq, stale)
	for _, ns := range m.srv.Eng.Namespaces() {
		m.Recovered.Keys += ns.Keys()
	}
	m.Recovered.Duration = time.Since(start)
	if rp.Duplicates > 0 {
		m.log.Warn("recovery: records logged twice (a failed write written again) were applied once", "duplicates", rp.Duplicates)
	}
	if rp.Failed > 0 {
		m.log.Warn("recovery: some records were refused when replayed", "refused", rp.Failed)
	}
	m.log.Info("data loaded", "keys", m.Recovered.Keys, "seconds", strconv.FormatFloat(m.Recovered.Duration.Seconds(), 'f', 3, 64),
		"snapshot", found, "log_records", rp.Applied, "log_files", len(files), "dir", m.opts.Dir)
	if m.opts.AppendOnly {
		m.aof = NewLog(m.opts.Dir, m.opts.AppendFilename, nextGen, m.opts.AppendFsync, existing, m.log)
		m.aof.StartAfter(m.Recovered.Last)
		m.rewriteBase.Store(m.aof.Size() + m.baseSize.Load())
	}
	return nil
}

// cron starts the save points' and scheduled snapshots (the live
// settings are applied by ApplyConfig, as CONFIG SET changes them).
func (m *Manager) cron() {
	defer close(m.done)
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
		}
		cfg := m.srv.Config()
		m.healLog()
		if !m.saving.Load() {
			if m.scheduledRewrite.Swap(false) {
				m.background(true)
			} else if m.scheduled.Swap(false) {
				m.background(false)
			}
		}
		m.savePoints(cfg)
	}
}

// Refusal is the MISCONF error writes get while the log cannot be written.
func (m *Manager) Refusal(tenant string) string {
	if msg := m.snapshotRefusal(); msg != "" {
		return msg
	}
	if m.aof == nil {
		return ""
	}
	if err := m.aof.Err(); err != nil {
		return refusal(err)
	}
	max := m.maxBacklog()
	if b := m.aof.Backlog(); b > max {
		return fmt.Sprintf("MISCONF Errors writing to the AOF file: the disk is not keeping up (%d bytes waiting to be written)", b)
	}
	share := max / tenantBacklogShare
	if b := m.aof.TenantBacklog(tenant, share); b > share {
		return fmt.Sprintf("MISCONF Errors writing to the AOF file: the disk is not keeping up with this tenant's writes (%d bytes of them waiting to be written, over the tenant's share of %d)", b, share)
	}
	return ""
}

// tenantBacklogShare: a tenant's records may take at most this fraction
// of the bytes waiting to be written; past it only that tenant's writes
// are refused, so one tenant writing faster than the disk cannot have
// every tenant's writes refused by filling the whole bound.
const tenantBacklogShare = 4

func (m *Manager) maxBacklog() int64 {
	if m.opts.MaxBacklog > 0 {
		return m.opts.MaxBacklog
	}
	return 512 << 20
}

func refusal(err error) string { return "MISCONF Errors writing to the AOF file: " + Reason(err) }

// refusalError is a durability failure as the reply says it.
type refusalError struct{ err error }

func (e refusalError) Error() string   { return e.err.Error() }
func (e refusalError) Refusal() string { return refusal(e.err) }

// Sync waits for the records appended so far (appendfsync always).
func (m *Manager) Sync(ctx context.Context) (bool, error) {
	if m.aof == nil {
		return false, nil
	}
	waited, err := m.aof.Sync(ctx)
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return waited, err
		}
		return waited, refusalError{err}
	}
	return waited, nil
}

// LastSave is the unix time of the last successful snapshot.
func (m *Manager) LastSave() int64 { return m.lastSave.Load() }

// Log is the append-only log, nil with appendonly no.
func (m *Manager) Log() *Log { return m.aof }

// Close takes the final snapshot when asked (or when save points are set
// and SHUTDOWN did not say NOSAVE), writes and fsyncs the log, and
// releases the directory. Call it after every client is gone.
func (m *Manager) Close(mode int) error {
	if m.closed.Swap(true) {
		return nil
	}
	close(m.stop)
	<-m.done
	m.waitSaves()
	var errs []error
	save := mode == commands.ShutdownSave
	if mode == commands.ShutdownDefault {
		pts, _ := commands.ParseSavePoints(m.srv.Config().Save)
		save = len(pts) > 0
	}
	if save {
		// Before the log closes: the snapshot's cut rotates it.
		if err := m.snapshot(context.Background(), false); err != nil {
			errs = append(errs, fmt.Errorf("the final snapshot: %w", err))
		}
	}
	if m.aof != nil {
		if err := m.aof.Close(); err != nil {
			errs = append(errs, fmt.Errorf("the log: %w", err))
		}
	}
	_ = m.lock.Close()
	return errors.Join(errs...)
}

func info(name string, v any) commands.InfoField {
	switch v := v.(type) {
	case bool:
		if v {
			return commands.InfoField{Name: name, Value: "1"}
		}
		return commands.InfoField{Name: name, Value: "0"}
	case string:
		return commands.InfoField{Name: name, Value: v}
	default:
		return commands.InfoField{Name: name, Value: fmt.Sprint(v)}
	}
}

func okErr(ok bool) string {
	if ok {
		return "ok"
	}
	return "err"
}

// Info is INFO persistence, with Redis's field names and order.
func (m *Manager) Info() []commands.InfoField {
	cur := int64(-1)
	if m.saving.Load() {
		cur = (time.Now().UnixNano() - m.saveStarted.Load()) / 1e9
	}
	curRewrite := int64(-1)
	if m.rewriting.Load() {
		curRewrite = cur
	}
	out := []commands.InfoField{
		info("loading", m.loading.Load()),
		info("async_loading", 0),
		info("rdb_changes_since_last_save", m.changes.Load()),
		info("rdb_bgsave_in_progress", m.saving.Load() && !m.rewriting.Load()),
		info("rdb_last_save_time", m.lastSave.Load()),
		info("rdb_last_bgsave_status", okErr(m.lastSaveOK.Load())),
		info("rdb_last_bgsave_time_sec", m.lastSaveSecs.Load()),
		info("rdb_current_bgsave_time_sec", cur),
		info("aof_enabled", m.aof != nil),
		info("aof_rewrite_in_progress", m.rewriting.Load()),
		info("aof_rewrite_scheduled", 0),
		info("aof_last_rewrite_time_sec", m.lastRewriteSec.Load()),
		info("aof_current_rewrite_time_sec", curRewrite),
		info("aof_last_bgrewrite_status", okErr(m.lastRewriteOK.Load())),
		info("aof_rewrites", m.rewrites.Load()),
		info("aof_last_write_status", okErr(m.aof == nil || m.aof.LastWriteOK())),
	}
	if l := m.aof; l != nil {
		out = append(out,
			info("aof_current_size", l.Size()+m.baseSize.Load()),
			info("aof_base_size", m.baseSize.Load()),
			info("aof_pending_rewrite", 0),
			info("aof_buffer_length", l.Backlog()),
			info("aof_delayed_fsync", l.DelayedFsyncs()),
			info("aof_fsync_lag_ms", l.FsyncLag().Milliseconds()),
			info("aof_last_fsync_status", okErr(l.Err() == nil)),
		)
	}
	return out
}
