package tenant

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// bucket is a token bucket shared by all of a tenant's connections and
// surfaces: one token per command, pipelined or not; and, under the same
// mutex, the bucket of the bytes they send (max_input_bytes_per_second).
// Times are unix nanoseconds (0: never, a full bucket), so that both fit
// where one time.Time was: the Tenant stays in its size class.
type bucket struct {
	mu       sync.Mutex
	tokens   float64
	last     int64
	inTokens float64
	inLast   int64
}

// Allow spends one token of the tenant's rate limit. When none is left it
// reports how long until one is.
func (t *Tenant) Allow(now time.Time) (ok bool, retry time.Duration) {
	return t.AllowUnder(t.Limits(), now)
}

// AllowUnder is Allow with limits the caller already read.
func (t *Tenant) AllowUnder(l Limits, now time.Time) (ok bool, retry time.Duration) {
	rps := l.RequestsPerSecond
	if rps <= 0 { // Unlimited, or no limits known yet
		return true, 0
	}
	burst := float64(l.Burst)
	if l.Burst <= 0 {
		burst = float64(rps)
	}
	b := &t.rate
	b.mu.Lock()
	defer b.mu.Unlock()
	ns := now.UnixNano()
	b.tokens, b.last = refill(b.tokens, b.last, ns, burst, float64(rps)), ns
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / float64(rps) * float64(time.Second))
	return false, wait
}

// SpendInput counts n bytes that one of the tenant's connections has read
// against its max_input_bytes_per_second, and says how long that
// connection should wait before it reads more (0: at once). The bucket
// holds a second's worth: a burst up to that goes through at once, and
// past it every connection of the tenant waits until the debt is paid, so
// the tenant's bytes arrive at its rate whatever its connections.
//
// Why a bound on bytes when commands are already counted: a command is
// counted only once read whole, and a refused one costs the server the
// same reading: without it a tenant could keep the server's processor
// copying gigabytes a second (4 MB commands refused by its rate limit,
// or an argument past its payload limit that is read and thrown away).
func (t *Tenant) SpendInput(n int64, now time.Time) time.Duration {
	rate := t.Limits().MaxInputBytesPerSecond
	if rate <= 0 || n <= 0 {
		return 0
	}
	b := &t.rate
	b.mu.Lock()
	ns := now.UnixNano()
	b.inTokens, b.inLast = refill(b.inTokens, b.inLast, ns, float64(rate), float64(rate)), ns
	b.inTokens -= float64(n)
	debt := -b.inTokens
	b.mu.Unlock()
	if debt <= 0 {
		return 0
	}
	return time.Duration(debt / float64(rate) * float64(time.Second))
}

// ResetRate refills the bucket, as if the tenant had been idle.
func (t *Tenant) ResetRate() {
	t.rate.mu.Lock()
	t.rate.last = 0
	t.rate.mu.Unlock()
}

// monthOf is the UTC calendar month operations are counted in.
func monthOf(now time.Time) int32 {
	u := now.UTC()
	return int32(u.Year()*100 + int(u.Month()))
}

// Ops is the number of operations counted in now's month.
func (t *Tenant) Ops(now time.Time) int64 {
	if !t.inMonth(now) && t.month.Load() != monthOf(now) {
		return 0
	}
	return t.ops.Load()
}

// inMonth reports, without decomposing the date, whether now falls in the
// month being counted: a per-command check must stay cheap.
func (t *Tenant) inMonth(now time.Time) bool {
	n := now.UnixNano()
	return n >= t.monthStart.Load() && n < t.monthEnd.Load()
}

// CountOp counts one operation in now's month; the count restarts when the
// month changes.
func (t *Tenant) CountOp(now time.Time) { t.CountOps(now, 1) }

// CountOps counts n operations in now's month.
func (t *Tenant) CountOps(now time.Time, n int64) {
	if !t.inMonth(now) {
		m := monthOf(now)
		if cur := t.month.Load(); cur != m {
			if t.month.CompareAndSwap(cur, m) {
				t.ops.Store(0)
			}
		}
		u := now.UTC()
		start := time.Date(u.Year(), u.Month(), 1, 0, 0, 0, 0, time.UTC)
		t.monthStart.Store(start.UnixNano())
		t.monthEnd.Store(start.AddDate(0, 1, 0).UnixNano())
	}
	t.ops.Add(n)
	t.total.Add(n)
}

// SeedOps raises the count of now's month to at least n: what this
// server's previous run, or the control plane, counted before this process
// saw the tenant. The larger figure is taken, never the sum, because the
// control plane's count includes what this server reported to it.
func (t *Tenant) SeedOps(now time.Time, n int64) {
	t.CountOps(now, 0) // starts now's month if the count was of an earlier one
	for {
		cur := t.ops.Load()
		if cur >= n || t.ops.CompareAndSwap(cur, n) {
			return
		}
	}
}

// NeedsHubSeed reports whether the control plane's count of now's month
// has yet to be taken; MarkHubSeed records that it was.
func (t *Tenant) NeedsHubSeed(now time.Time) bool { return t.hubMonth.Load() != monthOf(now) }

// MarkHubSeed: see NeedsHubSeed.
func (t *Tenant) MarkHubSeed(now time.Time) { t.hubMonth.Store(monthOf(now)) }

// MonthKey names now's counting month in UTC, as the usage file stores it.
func MonthKey(now time.Time) string { return now.UTC().Format("2006-01") }

// ReportedBytes is the storage figure HiveHub last accepted.
func (t *Tenant) ReportedBytes() int64 { return t.reportedBytes.Load() }

// SetReportedBytes records an accepted storage figure.
func (t *Tenant) SetReportedBytes(n int64) { t.reportedBytes.Store(n) }

// Unreported is how many operations HiveHub has not acknowledged yet.
func (t *Tenant) Unreported() int64 { return t.total.Load() - t.reported.Load() }

// Report is one usage report. Once made it is frozen: it is sent again,
// unchanged and under the same ID, until HiveHub accepts it, so a copy whose
// answer was lost cannot be counted twice (HiveHub drops repeated IDs).
type Report struct {
	ID    string `json:"id"`
	Ops   int64  `json:"ops"`
	Bytes int64  `json:"bytes"`
}

// NextReport returns the report to send: the pending one, or a new one of
// the operations not yet reported (id names it) and the current bytes. It
// returns false when there is nothing to report.
func (t *Tenant) NextReport(id func() string, bytes int64) (Report, bool) {
	t.reportMu.Lock()
	defer t.reportMu.Unlock()
	if t.pending != nil {
		return *t.pending, true
	}
	ops := t.total.Load() - t.reported.Load() - t.inFlight
	if ops == 0 && bytes == t.reportedBytes.Load() {
		return Report{}, false
	}
	t.pending = &Report{ID: id(), Ops: ops, Bytes: bytes}
	t.inFlight = ops
	return *t.pending, true
}

// Accepted records that HiveHub accepted report r.
func (t *Tenant) Accepted(r Report) {
	t.reportMu.Lock()
	defer t.reportMu.Unlock()
	if t.pending == nil || t.pending.ID != r.ID {
		return
	}
	t.reported.Add(r.Ops)
	t.reportedBytes.Store(r.Bytes)
	t.pending, t.inFlight = nil, 0
}

// Unsent is what a stopping server must keep: the pending report and the
// operations counted after it.
func (t *Tenant) Unsent() (pending *Report, more int64) {
	t.reportMu.Lock()
	defer t.reportMu.Unlock()
	more = t.total.Load() - t.reported.Load() - t.inFlight
	if t.pending != nil {
		p := *t.pending
		pending = &p
	}
	return pending, more
}

// Restore takes back what a previous run could not send.
func (t *Tenant) Restore(pending *Report, more int64) {
	t.reportMu.Lock()
	defer t.reportMu.Unlock()
	if pending != nil {
		p := *pending
		t.pending, t.inFlight = &p, p.Ops
		t.total.Add(p.Ops)
	}
	t.total.Add(more)
}

type opsCounter struct {
	month                atomic.Int32
	hubMonth             atomic.Int32 // the month whose control-plane count was taken
	monthStart, monthEnd atomic.Int64 // unix nanos of the counted month
	ops                  atomic.Int64
	// total never restarts; reported is what HiveHub acknowledged, so a
	// failed report loses nothing and a retried one counts nothing twice.
	total, reported atomic.Int64
	reportedBytes   atomic.Int64

	reportMu sync.Mutex
	pending  *Report
	inFlight int64 // operations in pending
}

// RateRemaining is how many whole tokens the bucket holds at now under l,
// for the HTTP surface's X-RateLimit-Remaining; it spends none.
func (t *Tenant) RateRemaining(l Limits, now time.Time) int64 {
	rps := l.RequestsPerSecond
	if rps <= 0 {
		return 0
	}
	burst := float64(l.Burst)
	if l.Burst <= 0 {
		burst = float64(rps)
	}
	b := &t.rate
	b.mu.Lock()
	defer b.mu.Unlock()
	return int64(refill(b.tokens, b.last, now.UnixNano(), burst, float64(rps)))
}

// refill is a token bucket's content at now (unix ns) that held tokens at
// last (0: never used, so full), refilled at rate a second up to capacity.
func refill(tokens float64, last, now int64, capacity, rate float64) float64 {
	if last == 0 {
		return capacity
	}
	if dt := now - last; dt > 0 {
		return math.Min(capacity, tokens+float64(dt)/1e9*rate)
	}
	return tokens
}
