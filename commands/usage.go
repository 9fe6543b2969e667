package commands

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"synap/tenant"
)

// UsageReporter sends a tenant's usage to the control plane (HiveHub).
type UsageReporter interface {
	ReportUsage(ctx context.Context, userID, reportID string, ops, storageBytes int64) error
}

// reportID names a usage report uniquely across runs: a random per-process
// prefix and a sequence number.
func (s *Server) reportID() string {
	s.reportOnce.Do(func() {
		var b [8]byte
		_, _ = rand.Read(b[:])
		s.reportPrefix = hex.EncodeToString(b[:])
	})
	return s.reportPrefix + "-" + strconv.FormatInt(s.reportSeq.Add(1), 10)
}

// ReportUsage sends each tenant's pending report: operations HiveHub has
// not accepted yet and current storage. A failed report is resent unchanged,
// under the same id, until it is accepted.
func (s *Server) ReportUsage(ctx context.Context, r UsageReporter) {
	for _, t := range s.Tenants.All() {
		bytes := s.Eng.Namespace("user:" + t.UserID + ":").Bytes()
		rep, ok := t.NextReport(s.reportID, bytes)
		if !ok {
			continue
		}
		if err := r.ReportUsage(ctx, t.UserID, rep.ID, rep.Ops, rep.Bytes); err != nil {
			s.Log.Warn("usage report failed; kept for the next one", "user_id", t.UserID, "ops", rep.Ops, "err", err)
			continue
		}
		t.Accepted(rep)
	}
}

// UsageSaveInterval is how often the usage file is rewritten while
// serving; a crash loses at most this much of the monthly counts.
const UsageSaveInterval = 5 * time.Second

// RunUsageReports keeps the usage state up to date until ctx ends: with a
// reporter (HiveHub, may be nil) it reports every interval, and with a
// stateFile it rewrites that file every UsageSaveInterval and after each
// report. When ctx ends it reports once more and saves a last time, so a
// graceful stop loses no count even while HiveHub is down.
func (s *Server) RunUsageReports(ctx context.Context, r UsageReporter, every time.Duration, stateFile string) {
	s.usage.mu.Lock()
	s.usage.noReports = r == nil
	s.usage.mu.Unlock()
	var reports, saves <-chan time.Time
	if r != nil {
		t := time.NewTicker(every)
		defer t.Stop()
		reports = t.C
	}
	if stateFile != "" {
		t := time.NewTicker(UsageSaveInterval)
		defer t.Stop()
		saves = t.C
	}
	save := func() {
		if stateFile == "" {
			return
		}
		if err := s.SaveUsage(stateFile, time.Now()); err != nil {
			s.Log.Error("usage file not saved; monthly operation counts since the last save would not survive a restart", "file", stateFile, "err", err)
		}
	}
	for {
		select {
		case <-reports:
			s.ReportUsage(ctx, r)
			// An accepted report must reach the file before a crash could
			// make the next run send its operations again.
			save()
		case <-saves:
			save()
		case <-ctx.Done():
			if r != nil {
				final, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				s.ReportUsage(final, r)
				cancel()
			}
			save()
			return
		}
	}
}

// usageFileVersion is the usage file's format. Version 1 (no "version"
// member) held only the unsent reports, keyed by tenant.
const usageFileVersion = 2

// usageFile is what survives a restart: per tenant, the operations counted
// in the current month (the monthly quota) and what HiveHub has not
// accepted yet.
type usageFile struct {
	Version int                    `json:"version"`
	Tenants map[string]tenantUsage `json:"tenants"`
}

type tenantUsage struct {
	Month   string         `json:"month,omitempty"` // UTC, "2006-01"
	Ops     int64          `json:"ops,omitempty"`   // counted in Month
	Pending *tenant.Report `json:"pending,omitempty"`
	More    int64          `json:"more,omitempty"`
}

// usageState guards the usage file of one server.
type usageState struct {
	mu     sync.Mutex
	loaded map[string]bool // files already taken back
	last   []byte          // what was last written, to skip identical rewrites
	// noReports: nothing reports usage (a tenants file), so there is no
	// unsent usage to keep, only the monthly counts.
	noReports bool
}

// SaveUsage writes each tenant's operations of now's month and what HiveHub
// has not accepted, durably: a new file is written and synced, then renamed
// over the old one, so a crash leaves either the old state or the new.
func (s *Server) SaveUsage(path string, now time.Time) error {
	state := usageFile{Version: usageFileVersion, Tenants: map[string]tenantUsage{}}
	month := tenant.MonthKey(now)
	s.usage.mu.Lock()
	unsent := !s.usage.noReports
	s.usage.mu.Unlock()
	for _, t := range s.Tenants.All() {
		u := tenantUsage{Ops: t.Ops(now)}
		if u.Ops > 0 {
			u.Month = month
		}
		if unsent {
			u.Pending, u.More = t.Unsent()
		}
		if u.Ops > 0 || u.Pending != nil || u.More > 0 {
			state.Tenants[t.UserID] = u
		}
	}
	raw, err := json.Marshal(state)
	if err != nil {
		return err
	}
	s.usage.mu.Lock()
	defer s.usage.mu.Unlock()
	if bytes.Equal(raw, s.usage.last) {
		return nil
	}
	if err := writeDurably(path, raw); err != nil {
		return err
	}
	s.usage.last = raw
	return nil
}

// writeDurably replaces path with raw so that a crash at any point leaves
// the old content or the new, never a mix or nothing.
func writeDurably(path string, raw []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(raw)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return err
	}
	// The rename itself is durable only once the directory is synced.
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// LoadUsage takes back what a previous run saved: each tenant's count of
// now's month (counts of another month are dropped: the month rolled over)
// and its unsent usage. The file stays: from now on it is rewritten with
// this run's state. Loading the same file twice in one run adds nothing.
func (s *Server) LoadUsage(path string, now time.Time) error {
	s.usage.mu.Lock()
	defer s.usage.mu.Unlock()
	if s.usage.loaded[path] {
		return nil
	}
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	state, err := parseUsage(raw)
	if err != nil {
		return fmt.Errorf("usage file %s: %w", path, err)
	}
	month := tenant.MonthKey(now)
	for user, u := range state.Tenants {
		t := s.Tenants.Get(user)
		if u.Month == month {
			t.SeedOps(now, u.Ops)
		}
		t.Restore(u.Pending, u.More)
	}
	if s.usage.loaded == nil {
		s.usage.loaded = map[string]bool{}
	}
	s.usage.loaded[path] = true
	return nil
}

func parseUsage(raw []byte) (usageFile, error) {
	var probe struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return usageFile{}, err
	}
	var state usageFile
	switch {
	case probe.Version == nil: // version 1: unsent usage only
		var old map[string]tenantUsage
		if err := json.Unmarshal(raw, &old); err != nil {
			return usageFile{}, err
		}
		state = usageFile{Version: 1, Tenants: old}
	case *probe.Version == usageFileVersion:
		if err := json.Unmarshal(raw, &state); err != nil {
			return usageFile{}, err
		}
	default:
		return usageFile{}, fmt.Errorf("version %d is not one this server reads (%d)", *probe.Version, usageFileVersion)
	}
	for user, u := range state.Tenants {
		bad := !tenant.ValidUserID(user) || u.More < 0 || u.Ops < 0 ||
			(u.Pending != nil && (u.Pending.Ops < 0 || u.Pending.ID == ""))
		if u.Month != "" {
			if _, err := time.Parse("2006-01", u.Month); err != nil {
				bad = true
			}
		}
		if bad {
			return usageFile{}, errors.New("invalid entry for " + strconv.Quote(user))
		}
	}
	return state, nil
}

// seedFromControlPlane starts a tenant's monthly count, on its first sight
// in a month, from the control plane's figure when that is larger: another
// Synap, or this one before a restart that lost its usage file, counted
// those operations. A directory without the figure (a tenants file) or one
// that cannot answer now leaves the count as it is; the next sight asks again.
func (s *Server) seedFromControlPlane(ctx context.Context, t *tenant.Tenant) {
	src, ok := s.Dir.(tenant.QuotaSource)
	now := time.Now()
	if !ok || !t.NeedsHubSeed(now) {
		return
	}
	q, err := src.Quota(ctx, t.UserID)
	if err != nil || tenant.MonthKey(q.Fetched) != tenant.MonthKey(now) {
		return // last month's figure, still cached: ask again once refreshed
	}
	t.SeedOps(now, q.MonthlyOperationsUsed)
	t.MarkHubSeed(now)
}
