package commands

import (
	"context"
	"time"
)

// UsageReporter sends a tenant's usage to the control plane (HiveHub).
type UsageReporter interface {
	ReportUsage(ctx context.Context, userID string, ops, storageBytes int64) error
}

// ReportUsage sends every tenant's unacknowledged operations and current
// storage once. A failed report keeps its delta for the next one.
func (s *Server) ReportUsage(ctx context.Context, r UsageReporter) {
	for _, t := range s.Tenants.All() {
		delta := t.Unreported()
		bytes := s.Eng.Namespace("user:" + t.UserID + ":").Bytes()
		if delta == 0 && bytes == t.ReportedBytes() {
			continue
		}
		if err := r.ReportUsage(ctx, t.UserID, delta, bytes); err != nil {
			s.Log.Warn("usage report failed; kept for the next one", "user_id", t.UserID, "ops", delta, "err", err)
			continue
		}
		t.Acknowledge(delta)
		t.SetReportedBytes(bytes)
	}
}

// RunUsageReports reports every interval until ctx ends, then once more, so
// a graceful stop loses no count.
func (s *Server) RunUsageReports(ctx context.Context, r UsageReporter, every time.Duration) {
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
			return
		}
	}
}
