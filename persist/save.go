package persist

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"synap/commands"
	"synap/persist/snapshot"
)

// Snapshots in the manager: every snapshot (save point, SAVE, BGSAVE,
// BGREWRITEAOF, automatic rewrite, the final one at shutdown) is taken
// with snapshot.Write, whose cut (every shard locked) rotates the log to a
// new generation. Once the snapshot is renamed into place it covers every
// record of the older generations, whose files are deleted: recovery is
// then the snapshot and the newer files.

var (
	errSaveInProgress    = errors.New("Background save already in progress")
	errRewriteInProgress = errors.New("Background append only file rewriting already in progress")
)

func (m *Manager) snapPath() string { return filepath.Join(m.opts.Dir, m.opts.DBFilename) }

// loadSnapshot loads the snapshot file if there is one.
func (m *Manager) loadSnapshot() (seq uint64, keys int64, found bool, err error) {
	path := m.snapPath()
	if err := os.Remove(path + ".tmp"); err == nil {
		m.log.Warn("removed a snapshot a crash interrupted; the previous one stays valid", "file", path+".tmp")
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return 0, 0, false, nil
	}
	if m.opts.AppendOnly {
		// The log replays after it under each record's clock: a key alive
		// at the cut must be there for the records that write to it, and
		// goes, if its time has passed, once the clock is unpinned, when
		// the replay ends (recover): unpinned in between, active expiry
		// could reclaim under the wall clock a key a later record writes.
		m.srv.Eng.PinClock(1)
	}
	st, err := snapshot.Load(m.srv, path)
	if err != nil {
		return 0, 0, false, fmt.Errorf("cannot load the snapshot: %w", err)
	}
	m.baseSize.Store(st.Bytes)
	m.lastSave.Store(st.Created.Unix())
	return st.Seq, st.Keys, true, nil
}

// snapshot writes one snapshot now, on the caller's goroutine.
func (m *Manager) snapshot(ctx context.Context, rewrite bool) error {
	m.saveMu.Lock()
	defer m.saveMu.Unlock()
	start := time.Now()
	m.saveStarted.Store(start.UnixNano())
	m.saving.Store(true)
	m.rewriting.Store(rewrite)
	defer func() {
		m.saving.Store(false)
		m.rewriting.Store(false)
	}()
	var changesAtCut int64
	var newGen, pos uint64
	st, err := snapshot.Write(ctx, m.srv, m.snapPath(), func(uint64) {
		changesAtCut = m.changes.Load()
		if m.aof != nil {
			newGen, pos = m.aof.Rotate()
		}
	})
	secs := int64(time.Since(start).Seconds())
	if rewrite {
		m.lastRewriteSec.Store(secs)
	} else {
		m.lastSaveSecs.Store(secs)
	}
	if err != nil {
		m.lastSaveOK.Store(false)
		if rewrite {
			m.lastRewriteOK.Store(false)
		}
		m.log.Error("snapshot failed", "err", err)
		return err
	}
	m.changes.Add(-changesAtCut)
	m.lastSave.Store(st.Created.Unix())
	m.lastSaveOK.Store(true)
	if rewrite {
		m.lastRewriteOK.Store(true)
		m.rewrites.Add(1)
	}
	m.baseSize.Store(st.Bytes)
	dropped := 0
	if m.aof != nil {
		m.aof.Covered(pos) // the snapshot holds them: durable, whatever their fsyncs said
		// The older generations are only deleted once what was appended
		// to them before the cut is in their files: otherwise the writer
		// would create one again behind the deletion.
		if m.aof.WaitWritten(pos, 10*time.Second) {
			if err := m.ensureGen(newGen); err != nil {
				m.log.Warn("cannot create the log file the snapshot continues in", "err", err)
			} else if dropped, err = m.aof.DropBefore(newGen); err != nil {
				m.log.Warn("cannot delete log files the snapshot covers", "err", err)
			}
		}
		m.rewriteBase.Store(m.aof.Size() + st.Bytes)
	}
	m.log.Info("snapshot saved", "file", m.snapPath(), "keys", st.Keys, "bytes", st.Bytes,
		"seconds", st.Took.Seconds(), "seq", st.Seq, "log_files_deleted", dropped)
	return nil
}

// ensureGen makes sure the file of generation gen, the one the log
// continues in after a snapshot, exists before the older files go, even
// when nothing was written to it yet (its header alone). So the data
// directory always holds a log file saying which write the history
// continues after: a later run numbers its generations after it (a
// number is never used twice), and a snapshot deleted or replaced by an
// older one is found even with no write since.
func (m *Manager) ensureGen(gen uint64) error {
	path := LogPath(m.opts.Dir, m.opts.AppendFilename, gen)
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	// Written aside and linked into place: the writer, which may create
	// the file at the same moment, finds either none or a whole header.
	tmp := path + ".new"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(fileHeader(m.aof.baseOf(gen), 0))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Link(tmp, path)
		if err == nil {
			m.aof.size.Add(int64(headerSize))
		} else if errors.Is(err, fs.ErrExist) {
			err = nil
		}
	}
	_ = os.Remove(tmp)
	if err != nil {
		return err
	}
	return syncDir(m.opts.Dir)
}

// background runs a snapshot on its own goroutine; it reports false when
// one already runs.
func (m *Manager) background(rewrite bool) bool {
	if !m.bgMu.TryLock() {
		return false
	}
	if m.closed.Load() {
		m.bgMu.Unlock()
		return false
	}
	m.wg.Add(1)
	m.saving.Store(true)
	m.rewriting.Store(rewrite)
	go func() {
		defer m.wg.Done()
		defer m.bgMu.Unlock()
		_ = m.snapshot(context.Background(), rewrite)
	}()
	return true
}

// savePoints starts a snapshot when a save point is reached, and a
// rewrite when the log has grown past auto-aof-rewrite-*.
func (m *Manager) savePoints(cfg *commands.Config) {
	if m.saving.Load() {
		return
	}
	now := time.Now()
	// As Redis: after a failed snapshot, the next try waits 5 seconds.
	if !m.lastSaveOK.Load() && now.Unix()-m.lastBGSaveTry.Load() < 5 {
		return
	}
	pts, _ := commands.ParseSavePoints(cfg.Save)
	changes := m.changes.Load()
	for _, p := range pts {
		if changes >= p.Changes && changes > 0 && now.Unix()-m.lastSave.Load() >= p.Secs {
			m.log.Info("save point reached: snapshot in the background", "changes", changes, "seconds", p.Secs)
			m.lastBGSaveTry.Store(now.Unix())
			m.background(false)
			return
		}
	}
	if l := m.aof; l != nil && cfg.AutoAOFRewritePercentage > 0 {
		cur := l.Size() + m.baseSize.Load()
		base := max(m.rewriteBase.Load(), 1)
		if cur >= cfg.AutoAOFRewriteMinSize && (cur-base)*100/base >= int64(cfg.AutoAOFRewritePercentage) {
			m.log.Info("the log grew past auto-aof-rewrite-percentage: rewriting", "size", cur, "base", base)
			m.lastBGSaveTry.Store(now.Unix())
			m.background(true)
		}
	}
}

// waitSaves waits for a snapshot running in the background.
func (m *Manager) waitSaves() { m.wg.Wait() }

// Save writes a snapshot now (SAVE).
func (m *Manager) Save() error {
	if m.saving.Load() {
		return errSaveInProgress
	}
	return m.snapshot(context.Background(), false)
}

// BGSave starts a snapshot in the background (BGSAVE [SCHEDULE]).
func (m *Manager) BGSave(schedule bool) (string, error) {
	if m.background(false) {
		return "Background saving started", nil
	}
	if schedule {
		m.scheduled.Store(true)
		return "Background saving scheduled", nil
	}
	if m.rewriting.Load() {
		return "", errors.New("Background append only file rewriting already in progress")
	}
	return "", errSaveInProgress
}

// BGRewrite compacts the log onto a new snapshot (BGREWRITEAOF).
func (m *Manager) BGRewrite() (string, error) {
	if m.background(true) {
		return "Background append only file rewriting started", nil
	}
	if m.rewriting.Load() {
		return "", errRewriteInProgress
	}
	m.scheduledRewrite.Store(true)
	return "Background append only file rewriting scheduled", nil
}
