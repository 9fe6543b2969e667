package commands

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"strconv"
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

// RunUsageReports reports every interval until ctx ends, then once more; what
// still cannot be sent is saved to stateFile (when set) for the next run, so
// a graceful stop loses no count even while HiveHub is down.
func (s *Server) RunUsageReports(ctx context.Context, r UsageReporter, every time.Duration, stateFile string) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			s.ReportUsage(ctx, r)
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			s.ReportUsage(final, r)
			cancel()
			if stateFile != "" {
				if err := s.SaveUnsentUsage(stateFile); err != nil {
					s.Log.Error("unsent usage could not be saved", "file", stateFile, "err", err)
				}
			}
			return
		}
	}
}

type unsentUsage struct {
	Pending *tenant.Report `json:"pending,omitempty"`
	More    int64          `json:"more,omitempty"`
}

// SaveUnsentUsage writes what HiveHub has not accepted, or removes the file
// when everything was accepted.
func (s *Server) SaveUnsentUsage(path string) error {
	state := map[string]unsentUsage{}
	for _, t := range s.Tenants.All() {
		if p, more := t.Unsent(); p != nil || more > 0 {
			state[t.UserID] = unsentUsage{Pending: p, More: more}
		}
	}
	if len(state) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	raw, err := json.Marshal(state)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, raw, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// LoadUnsentUsage takes back what a previous run saved, then removes the
// file: the counts now live in memory, and a second start must not add them
// again.
func (s *Server) LoadUnsentUsage(path string) error {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var state map[string]unsentUsage
	if err := json.Unmarshal(raw, &state); err != nil {
		return err
	}
	for user, u := range state {
		if !tenant.ValidUserID(user) || u.More < 0 || (u.Pending != nil && (u.Pending.Ops < 0 || u.Pending.ID == "")) {
			return errors.New("unsent usage file: invalid entry for " + strconv.Quote(user))
		}
	}
	for user, u := range state {
		s.Tenants.Get(user).Restore(u.Pending, u.More)
	}
	return os.Remove(path)
}
