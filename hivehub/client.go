// Package hivehub is Synap's client of HiveHub, the control plane: it
// resolves access keys and tenants' quotas over HTTP as a tenant.Directory
// (cached, single-flight, with outage grace) and sends usage reports; and a
// fake HiveHub with fault injection for tests and `synap hivehub-dev`.
package hivehub

import (
	"bytes"
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"synap/tenant"
)

// Options configure a Client. Zero values take the defaults in brackets.
type Options struct {
	BaseURL    string // HiveHub, e.g. https://hivehub.example
	ServiceKey string // Synap's own key, sent as a bearer token
	// Timeout bounds one HTTP attempt, reading the answer included [2s].
	Timeout time.Duration
	// Retries after a failed attempt, backing off from 50ms [2]; -1 for none.
	Retries int
	// PositiveTTL is how long a valid key or a quota is trusted [30s].
	PositiveTTL time.Duration
	// NegativeTTL is how long an unknown key or tenant is remembered [5s].
	NegativeTTL time.Duration
	// GracePeriod keeps expired positive answers in use while HiveHub cannot
	// answer [5m]; -1 for none.
	GracePeriod time.Duration
	// MaxEntries bounds each cache (keys, quotas) [100000].
	MaxEntries int
	HTTPClient *http.Client // [one that does not follow redirects]
	Logger     *slog.Logger // [slog.Default()]
}

const (
	maxAnswer  = 1 << 20 // a larger HiveHub answer is refused unread
	maxKeyLen  = 4096    // longer secrets are not HiveHub keys: refused without a call
	firstRetry = 50 * time.Millisecond
)

// errServiceKey: HiveHub refused our own credentials. Nothing works until an
// operator fixes it, so it is logged loudly and every lookup fails closed.
var errServiceKey = errors.New("HiveHub refused the service key (HTTP 401/403); check --hivehub-service-key")

var errNotFound = errors.New("not found")

// Client is the tenant.Directory backed by HiveHub's HTTP API.
//
// Caching: a positive answer younger than PositiveTTL/2 is served as is;
// between PositiveTTL/2 and PositiveTTL it is served and refreshed in the
// background, so keys in use are re-validated before they expire without a
// caller ever waiting on HiveHub. An expired answer is re-fetched while the
// caller waits, unless HiveHub is failing, in which case it is served for
// up to GracePeriod past its expiry and refreshed in the background.
//
// Generation moves (1) whenever a refresh replaces a positive answer with a
// different or a negative one, and (2) every PositiveTTL/4 of elapsed time.
// (2) makes open connections re-resolve regularly; that touches the cache
// only, and starts the refresh that (1) then reports. Together a revoked key
// loses its connections within about 3/4 PositiveTTL plus one HiveHub call.
type Client struct {
	opt  Options
	base string
	hc   *http.Client
	log  *slog.Logger
	now  func() time.Time // tests move time by hand
	tick time.Duration
	born time.Time

	keys   *cache[[32]byte, *tenant.Principal]
	quotas *cache[string, tenant.Quota]

	changes atomic.Uint64
	// failing is set when a call ended without an answer, cleared by an
	// answer. While set, calls make one attempt and expired answers are
	// served from grace rather than waited on.
	failing atomic.Bool

	authLog, downLog, graceLog every

	// Counters for the HTTP surface's /metrics (Stats).
	nCalls, nCallErrors, nHits, nMisses, nGrace atomic.Int64
}

// Stats are the client's counters since start: HTTP calls to HiveHub and
// those that got no answer (a 404 is one), lookups answered from the cache, ones that had to
// wait for HiveHub, and ones served from the outage grace.
func (c *Client) Stats() map[string]int64 {
	return map[string]int64{
		"calls_total": c.nCalls.Load(), "call_errors_total": c.nCallErrors.Load(),
		"cache_hits_total": c.nHits.Load(), "cache_misses_total": c.nMisses.Load(),
		"grace_served_total": c.nGrace.Load(),
	}
}

// NewClient makes a HiveHub client.
func NewClient(o Options) (*Client, error) {
	u, err := url.Parse(o.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("hivehub: base URL %q must be http(s)://host[:port][/path]", o.BaseURL)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&o.Timeout, 2*time.Second)
	def(&o.PositiveTTL, 30*time.Second)
	def(&o.NegativeTTL, 5*time.Second)
	def(&o.GracePeriod, 5*time.Minute)
	o.GracePeriod = max(o.GracePeriod, 0)
	if o.Retries == 0 {
		o.Retries = 2
	}
	o.Retries = max(o.Retries, 0)
	if o.MaxEntries <= 0 {
		o.MaxEntries = 100_000
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	hc := o.HTTPClient
	if hc == nil {
		// A redirect would re-send the service key and the access key to
		// wherever it points: treat it as an unexpected answer instead.
		hc = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	c := &Client{
		opt: o, base: strings.TrimRight(o.BaseURL, "/"), hc: hc, log: o.Logger, now: time.Now,
		tick:   max(o.PositiveTTL/4, time.Millisecond),
		keys:   newCache[[32]byte](o.MaxEntries, samePrincipal),
		quotas: newCache[string](o.MaxEntries, func(a, b tenant.Quota) bool { return a.Plan == b.Plan && a.Limits == b.Limits }),
	}
	c.born = c.now()
	return c, nil
}

// Generation implements Directory.
func (c *Client) Generation() uint64 {
	return c.changes.Load() + uint64(c.now().Sub(c.born)/c.tick)
}

// Resolve implements Directory.
func (c *Client) Resolve(ctx context.Context, accessKey string) (*tenant.Principal, error) {
	if accessKey == "" || len(accessKey) > maxKeyLen {
		return nil, tenant.ErrUnknownKey
	}
	p, err := lookup(ctx, c, c.keys, sha256.Sum256([]byte(accessKey)), func(ctx context.Context) (*tenant.Principal, error) {
		return c.validate(ctx, accessKey)
	})
	if err != nil {
		return nil, err
	}
	if p.Expired(c.now()) {
		return nil, tenant.ErrUnknownKey
	}
	return p, nil
}

// ResolveCached implements tenant.Directory: the answer Resolve would give from
// the cache without waiting on HiveHub, and without starting a refresh
// either (the next Resolve of the key does). A positive answer counts while
// it is younger than PositiveTTL, or within GracePeriod past that while
// HiveHub is failing; a negative one while younger than NegativeTTL.
func (c *Client) ResolveCached(accessKey string) (*tenant.Principal, error) {
	if accessKey == "" || len(accessKey) > maxKeyLen {
		return nil, tenant.ErrUnknownKey
	}
	e, ok := c.keys.get(sha256.Sum256([]byte(accessKey)))
	if !ok {
		return nil, tenant.ErrNotCached
	}
	now := c.now()
	age := now.Sub(e.stored)
	switch {
	case e.err != nil:
		if age < c.opt.NegativeTTL {
			return nil, e.err
		}
	case age < c.opt.PositiveTTL || c.failing.Load() && age < c.opt.PositiveTTL+c.opt.GracePeriod:
		if e.val.Expired(now) {
			return nil, tenant.ErrUnknownKey
		}
		return e.val, nil
	}
	return nil, tenant.ErrNotCached
}

// Limits implements Directory.
func (c *Client) Limits(ctx context.Context, userID string) (tenant.Limits, error) {
	q, err := c.Quota(ctx, userID)
	return q.Limits, err
}

// Quota is a tenant's limits and usage as last fetched (cached like Limits).
func (c *Client) Quota(ctx context.Context, userID string) (tenant.Quota, error) {
	if !tenant.ValidUserID(userID) {
		return tenant.Quota{}, tenant.ErrUnknownTenant
	}
	return lookup(ctx, c, c.quotas, userID, func(ctx context.Context) (tenant.Quota, error) {
		return c.fetchQuota(ctx, userID)
	})
}

// ReportUsage tells HiveHub what a tenant used. It makes a single attempt;
// the caller resends the very same report (same reportID, same amounts)
// until one is accepted, and reportID lets HiveHub drop a copy whose first
// answer was lost in transit, so nothing is counted twice.
func (c *Client) ReportUsage(ctx context.Context, userID, reportID string, ops, storageBytes int64) error {
	if !tenant.ValidUserID(userID) || ops < 0 || storageBytes < 0 || reportID == "" {
		return fmt.Errorf("hivehub: usage report for %q: invalid arguments", userID)
	}
	body := map[string]any{"resource_type": "key_value", "resource_name": "synap",
		"message_count": ops, "storage_bytes": storageBytes, "report_id": reportID}
	_, err := c.attempt(ctx, http.MethodPost, "/api/v1/synap/users/"+url.PathEscape(userID)+"/usage", body, nil)
	switch {
	case errors.Is(err, errNotFound):
		return tenant.ErrUnknownTenant
	case err != nil:
		c.logFailure("usage report", err)
		return fmt.Errorf("%w: usage report: %v", tenant.ErrUnavailable, err)
	}
	return nil
}

// validateAnswer is HiveHub's answer to a key validation. Pointers tell
// missing from zero where that matters.
type validateAnswer struct {
	Valid       *bool    `json:"valid"`
	UserID      string   `json:"user_id"`
	KeyID       string   `json:"key_id"`
	Plan        string   `json:"plan"`
	Permissions []string `json:"permissions"`
	Surfaces    []string `json:"surfaces"`
	ExpiresAt   *string  `json:"expires_at"`
}

func (c *Client) validate(ctx context.Context, key string) (*tenant.Principal, error) {
	var p *tenant.Principal
	err := c.call(ctx, http.MethodPost, "/api/v1/access-keys/validate", map[string]string{"access_key": key}, func(raw []byte) error {
		var a validateAnswer
		if err := decodeStrict(raw, &a); err != nil {
			return err
		}
		if a.Valid == nil {
			return errors.New(`no "valid" field`)
		}
		if !*a.Valid {
			p = nil
			return nil
		}
		var err error
		p, err = a.principal()
		return err
	})
	switch {
	case errors.Is(err, errNotFound):
		return nil, tenant.ErrUnknownKey
	case err != nil:
		return nil, err
	case p == nil || p.Expired(c.now()):
		return nil, tenant.ErrUnknownKey
	}
	return p, nil
}

func (a *validateAnswer) principal() (*tenant.Principal, error) {
	// These names end up in namespaces and in error replies: anything that
	// could reach another tenant's keys or break a reply line is refused.
	if !tenant.ValidUserID(a.UserID) {
		return nil, fmt.Errorf("user_id %q is not a valid tenant id", a.UserID)
	}
	if !printable(a.KeyID) || a.KeyID == "" {
		return nil, fmt.Errorf("key_id %q is empty or has spaces or control characters", a.KeyID)
	}
	if !printable(a.Plan) {
		return nil, fmt.Errorf("plan %q has spaces or control characters", a.Plan)
	}
	p := &tenant.Principal{UserID: a.UserID, KeyID: a.KeyID, Plan: a.Plan}
	if p.Plan == "" {
		p.Plan = "free"
	}
	for _, name := range a.Permissions {
		perm, ok := tenant.ParsePerm(name)
		if !ok {
			return nil, fmt.Errorf("unknown permission %q", name)
		}
		p.Perms |= perm
	}
	for _, name := range a.Surfaces {
		s, ok := tenant.ParseSurface(name)
		if !ok {
			return nil, fmt.Errorf("unknown surface %q", name)
		}
		p.Surfaces |= s
	}
	if a.ExpiresAt != nil {
		at, err := time.Parse(time.RFC3339, *a.ExpiresAt)
		if err != nil {
			return nil, fmt.Errorf("expires_at: %v", err)
		}
		p.ExpiresAt = at
	}
	return p, nil
}

func printable(s string) bool {
	if len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

func samePrincipal(a, b *tenant.Principal) bool {
	return a.UserID == b.UserID && a.KeyID == b.KeyID && a.Plan == b.Plan && a.Perms == b.Perms &&
		a.Surfaces == b.Surfaces && a.ExpiresAt.Equal(b.ExpiresAt)
}

// quotaAnswer is HiveHub's quota of a tenant. A missing or null limit
// decodes as 0, which means the plan default, as does an explicit 0.
type quotaAnswer struct {
	UserID                 string `json:"user_id"`
	Plan                   string `json:"plan"`
	StorageLimitBytes      int64  `json:"storage_limit_bytes"`
	StorageUsedBytes       int64  `json:"storage_used_bytes"`
	MonthlyOperationsLimit int64  `json:"monthly_operations_limit"`
	MonthlyOperationsUsed  int64  `json:"monthly_operations_used"`
	MaxKeys                int64  `json:"max_keys"`
	RateLimit              struct {
		RequestsPerSecond int64 `json:"requests_per_second"`
		Burst             int64 `json:"burst"`
	} `json:"rate_limit"`
	MaxConnections  int64 `json:"max_connections"`
	MaxPayloadBytes int64 `json:"max_payload_bytes"`
	// Not in HiveHub's published answer; honoured when present, as in a tenants file.
	MaxTTLSeconds int64 `json:"max_ttl_seconds"`
	// Likewise (bytes a second the tenant's connections may send together).
	MaxInputBytesPerSecond int64 `json:"max_input_bytes_per_second"`
	// Likewise: "" or noeviction refuses writes past the storage quota.
	EvictionPolicy string `json:"eviction_policy"`
}

func (c *Client) fetchQuota(ctx context.Context, userID string) (tenant.Quota, error) {
	var q tenant.Quota
	err := c.call(ctx, http.MethodGet, "/api/v1/synap/users/"+url.PathEscape(userID)+"/quota", nil, func(raw []byte) error {
		var a quotaAnswer
		if err := decodeStrict(raw, &a); err != nil {
			return err
		}
		if a.UserID != userID {
			return fmt.Errorf("quota of %q answered for user_id %q", userID, a.UserID)
		}
		if !printable(a.Plan) {
			return fmt.Errorf("plan %q has spaces or control characters", a.Plan)
		}
		l := tenant.Limits{StorageBytes: a.StorageLimitBytes, MonthlyOperations: a.MonthlyOperationsLimit,
			MaxKeys: a.MaxKeys, RequestsPerSecond: a.RateLimit.RequestsPerSecond, Burst: a.RateLimit.Burst,
			MaxConnections: a.MaxConnections, MaxPayloadBytes: a.MaxPayloadBytes, MaxTTLSeconds: a.MaxTTLSeconds,
			MaxInputBytesPerSecond: a.MaxInputBytesPerSecond, EvictionPolicy: a.EvictionPolicy}
		if !tenant.ValidEvictionPolicy(l.EvictionPolicy) {
			return fmt.Errorf("eviction_policy %q is not one of %s", l.EvictionPolicy, strings.Join(tenant.EvictionPolicies, ", "))
		}
		for _, v := range []int64{l.StorageBytes, l.MonthlyOperations, l.MaxKeys, l.RequestsPerSecond,
			l.Burst, l.MaxConnections, l.MaxPayloadBytes, l.MaxTTLSeconds, l.MaxInputBytesPerSecond} {
			if v < tenant.Unlimited {
				return fmt.Errorf("a limit is %d; only -1 (unlimited) may be negative", v)
			}
		}
		if a.StorageUsedBytes < 0 || a.MonthlyOperationsUsed < 0 {
			return errors.New("negative usage")
		}
		plan := a.Plan
		if plan == "" {
			plan = "free"
		}
		q = tenant.Quota{Plan: plan, Limits: l.WithDefaults(plan), StorageUsedBytes: a.StorageUsedBytes,
			MonthlyOperationsUsed: a.MonthlyOperationsUsed, Fetched: c.now()}
		return nil
	})
	if errors.Is(err, errNotFound) {
		return tenant.Quota{}, tenant.ErrUnknownTenant
	}
	return q, err
}

// call makes a request with retries. decode sees a 2xx body; its error marks
// the answer malformed, which is retried like a 5xx.
func (c *Client) call(ctx context.Context, method, path string, in any, decode func([]byte) error) error {
	attempts := 1 + c.opt.Retries
	if c.failing.Load() {
		attempts = 1 // HiveHub is down: the first refusal is answer enough
	}
	var err error
	for i := range attempts {
		if i > 0 {
			t := time.NewTimer(firstRetry << (i - 1))
			select {
			case <-ctx.Done():
				t.Stop()
				return err
			case <-t.C:
			}
		}
		var retry bool
		if retry, err = c.attempt(ctx, method, path, in, decode); err == nil || !retry {
			break
		}
	}
	return err
}

func (c *Client) attempt(ctx context.Context, method, path string, in any, decode func([]byte) error) (retry bool, err error) {
	c.nCalls.Add(1)
	defer func() {
		// A 404 is an answer (an unknown key), not a failed call.
		if err != nil && !errors.Is(err, errNotFound) {
			c.nCallErrors.Add(1)
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, c.opt.Timeout)
	defer cancel()
	var body io.Reader
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			return false, err
		}
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return false, err
	}
	req.Header.Set("Authorization", "Bearer "+c.opt.ServiceKey)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return true, err
	}
	defer resp.Body.Close()
	switch code := resp.StatusCode; {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return false, errServiceKey
	case code == http.StatusNotFound:
		return false, errNotFound
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		return true, fmt.Errorf("HTTP %d", code)
	case code < 200 || code > 299:
		return false, fmt.Errorf("unexpected HTTP %d", code)
	}
	if decode == nil {
		return false, nil
	}
	// Never more than maxAnswer+1 bytes are read: an endless answer is cut off.
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return true, fmt.Errorf("reading answer: %w", err)
	}
	if len(raw) > maxAnswer {
		return true, errors.New("malformed answer: larger than 1 MB")
	}
	if err := decode(raw); err != nil {
		return true, fmt.Errorf("malformed answer: %w", err)
	}
	return false, nil
}

func (c *Client) logFailure(what string, err error) {
	if errors.Is(err, errServiceKey) {
		if c.authLog.ok(c.now(), time.Minute) {
			c.log.Error("HIVEHUB REJECTS SYNAP'S SERVICE KEY: every access key lookup fails until it is fixed",
				"call", what, "url", c.base, "err", err)
		}
		return
	}
	if c.downLog.ok(c.now(), 10*time.Second) {
		c.log.Error("HiveHub did not answer", "call", what, "url", c.base, "err", err)
	}
}

// every lets a log line through at most once per interval.
type every struct{ last atomic.Int64 }

func (e *every) ok(now time.Time, d time.Duration) bool {
	last := e.last.Load()
	if last != 0 && now.UnixNano()-last < int64(d) {
		return false
	}
	return e.last.CompareAndSwap(last, now.UnixNano())
}

// definitive errors are answers, cached negatively; any other is an outage.
func definitive(err error) bool {
	return errors.Is(err, tenant.ErrUnknownKey) || errors.Is(err, tenant.ErrUnknownTenant)
}

// lookup answers from ca or from fetch, with the freshness, grace and
// single-flight rules described on Client.
func lookup[K comparable, V any](ctx context.Context, c *Client, ca *cache[K, V], k K, fetch func(context.Context) (V, error)) (V, error) {
	var zero V
	now := c.now()
	old, cached := ca.get(k)
	if cached {
		age := now.Sub(old.stored)
		switch {
		case old.err != nil:
			if age < c.opt.NegativeTTL {
				c.nHits.Add(1)
				return zero, old.err
			}
		case age < c.opt.PositiveTTL/2:
			c.nHits.Add(1)
			return old.val, nil
		case age < c.opt.PositiveTTL:
			c.nHits.Add(1)
			start(c, ca, k, fetch)
			return old.val, nil
		case c.failing.Load() && age < c.opt.PositiveTTL+c.opt.GracePeriod:
			c.nGrace.Add(1)
			start(c, ca, k, fetch)
			c.warnGrace(old.stored)
			return old.val, nil
		}
	}
	c.nMisses.Add(1)
	f := start(c, ca, k, fetch)
	var err error
	select {
	case <-f.done:
		if err = f.err; err == nil || definitive(err) {
			return f.val, err
		}
	case <-ctx.Done():
		err = ctx.Err()
	}
	if cached && old.err == nil && c.now().Sub(old.stored) < c.opt.PositiveTTL+c.opt.GracePeriod {
		c.warnGrace(old.stored)
		return old.val, nil
	}
	return zero, fmt.Errorf("%w: %v", tenant.ErrUnavailable, err)
}

func (c *Client) warnGrace(stored time.Time) {
	if c.graceLog.ok(c.now(), time.Minute) {
		c.log.Warn("HiveHub unavailable: serving access keys and quotas validated earlier",
			"validated_ago", c.now().Sub(stored).Round(time.Second), "grace", c.opt.GracePeriod)
	}
}

// start joins the call in flight for k or starts one. The call runs on its
// own context, so one caller giving up does not fail the others; it is
// bounded by the attempts' timeouts.
func start[K comparable, V any](c *Client, ca *cache[K, V], k K, fetch func(context.Context) (V, error)) *flight[V] {
	ca.mu.Lock()
	if f, ok := ca.inflight[k]; ok {
		ca.mu.Unlock()
		return f
	}
	f := &flight[V]{done: make(chan struct{})}
	ca.inflight[k] = f
	ca.mu.Unlock()
	go func() {
		v, err := fetch(context.Background())
		answered := err == nil || definitive(err)
		c.failing.Store(!answered)
		if !answered {
			c.logFailure("lookup", err)
		}
		ca.mu.Lock()
		delete(ca.inflight, k)
		if answered && ca.put(k, v, err, c.now()) {
			c.changes.Add(1)
		}
		ca.mu.Unlock()
		f.val, f.err = v, err
		close(f.done)
	}()
	return f
}

type flight[V any] struct {
	done chan struct{}
	val  V
	err  error
}

type entry[K comparable, V any] struct {
	key    K
	val    V
	err    error // a negative answer
	stored time.Time
	elem   *list.Element
}

// cache holds answers in two lists, oldest first: when full, negative
// answers are evicted before positive ones, so a flood of unknown keys
// cannot push out the keys in use.
type cache[K comparable, V any] struct {
	mu       sync.Mutex
	m        map[K]*entry[K, V]
	pos, neg list.List
	max      int
	same     func(a, b V) bool
	inflight map[K]*flight[V]
}

func newCache[K comparable, V any](max int, same func(a, b V) bool) *cache[K, V] {
	return &cache[K, V]{m: map[K]*entry[K, V]{}, max: max, same: same, inflight: map[K]*flight[V]{}}
}

func (ca *cache[K, V]) get(k K) (entry[K, V], bool) {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	e, ok := ca.m[k]
	if !ok {
		return entry[K, V]{}, false
	}
	return *e, true
}

func (ca *cache[K, V]) list(e *entry[K, V]) *list.List {
	if e.err != nil {
		return &ca.neg
	}
	return &ca.pos
}

// put stores an answer (ca.mu held) and reports whether it replaced a
// positive answer with a different one or with a negative one.
func (ca *cache[K, V]) put(k K, v V, err error, now time.Time) (changed bool) {
	e := ca.m[k]
	if e != nil {
		changed = e.err == nil && (err != nil || !ca.same(e.val, v))
		ca.list(e).Remove(e.elem)
	} else {
		if len(ca.m) >= ca.max {
			l := &ca.neg
			if l.Len() == 0 {
				l = &ca.pos
			}
			delete(ca.m, l.Remove(l.Front()).(*entry[K, V]).key)
		}
		e = &entry[K, V]{key: k}
		ca.m[k] = e
	}
	e.val, e.err, e.stored = v, err, now
	e.elem = ca.list(e).PushBack(e)
	return changed
}

func (ca *cache[K, V]) len() int {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	return len(ca.m)
}
