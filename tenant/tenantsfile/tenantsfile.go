// Package tenantsfile is the tenants file as a tenant.Directory: tenants,
// their plans and limits, and the SHA-256 of their access keys in one YAML
// (or JSON) file, reloaded when it changes and on SIGHUP, for cluster mode
// without HiveHub. The fake HiveHub serves the same format.
package tenantsfile

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.yaml.in/yaml/v3"

	"synap/tenant"
)

// File is the on-disk shape of a tenants file (YAML or JSON). Field
// names follow HiveHub's so one vocabulary serves both directories.
type File struct {
	Tenants []Tenant `yaml:"tenants" json:"tenants"`
	// TenantCount, the file's last key, marks it complete: a file cut short
	// anywhere loses it, and a count that differs from the tenants listed
	// shows one cut at a tenant boundary. `tenants: []` then
	// `tenant_count: 0` is an empty directory on purpose.
	TenantCount *int `yaml:"tenant_count" json:"tenant_count"`
}

// CountKey is the trailer that marks a tenants file complete.
const CountKey = "tenant_count"

// Tenant is one tenant of a tenants file.
type Tenant struct {
	UserID string `yaml:"user_id" json:"user_id"`
	Plan   string `yaml:"plan" json:"plan"`
	Limits Limits `yaml:"limits" json:"limits"`
	Keys   []Key  `yaml:"keys" json:"keys"`
}

// Limits are a tenant's limits; absent or 0 means the plan default, -1 unlimited.
type Limits struct {
	StorageLimitBytes      int64     `yaml:"storage_limit_bytes" json:"storage_limit_bytes"`
	MonthlyOperationsLimit int64     `yaml:"monthly_operations_limit" json:"monthly_operations_limit"`
	MaxKeys                int64     `yaml:"max_keys" json:"max_keys"`
	RateLimit              RateLimit `yaml:"rate_limit" json:"rate_limit"`
	MaxConnections         int64     `yaml:"max_connections" json:"max_connections"`
	MaxPayloadBytes        int64     `yaml:"max_payload_bytes" json:"max_payload_bytes"`
	MaxTTLSeconds          int64     `yaml:"max_ttl_seconds" json:"max_ttl_seconds"`
	// MaxInputBytesPerSecond: past it the tenant's connections are read
	// more slowly (all of them together).
	MaxInputBytesPerSecond int64 `yaml:"max_input_bytes_per_second" json:"max_input_bytes_per_second,omitempty"`
	// EvictionPolicy: "" or noeviction refuses a write past the storage
	// quota; one of Redis's evicting policies evicts the tenant's own keys.
	EvictionPolicy string `yaml:"eviction_policy" json:"eviction_policy,omitempty"`
}

// RateLimit is a token bucket.
type RateLimit struct {
	RequestsPerSecond int64 `yaml:"requests_per_second" json:"requests_per_second"`
	Burst             int64 `yaml:"burst" json:"burst"`
}

// Key is one access key. Only the SHA-256 of the secret is stored.
type Key struct {
	KeyID        string   `yaml:"key_id" json:"key_id"`
	SecretSHA256 string   `yaml:"secret_sha256" json:"secret_sha256"`
	Permissions  []string `yaml:"permissions" json:"permissions"`
	Surfaces     []string `yaml:"surfaces" json:"surfaces"`
	ExpiresAt    string   `yaml:"expires_at" json:"expires_at"`
	Disabled     bool     `yaml:"disabled" json:"disabled"`
}

// HashKey is the hex SHA-256 of an access key, as a tenants file stores it.
func HashKey(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// Contents is a parsed, validated tenants file: principals by the SHA-256
// of their key (disabled keys left out) and limits by tenant (plan defaults
// filled in).
type Contents struct {
	keys map[[32]byte]*tenant.Principal
	// limits point into one copy of each distinct value: a file gives
	// thousands of tenants the same plan, and 80 bytes a tenant in the map
	// were 2 MB for 10,000 of them.
	limits map[string]*tenant.Limits
	// legacy: the file has no tenant_count trailer, so nothing tells a
	// complete file from a half-written one.
	legacy bool
}

// Directory serves a tenants file, reloading it when it changes (polled)
// and on Reload (SIGHUP). A file that fails to load leaves the previous
// directory in force.
type Directory struct {
	path string
	log  *slog.Logger
	snap atomic.Pointer[Contents]
	gen  atomic.Uint64

	mu   sync.Mutex
	seen fileStamp
	stop chan struct{}
	once sync.Once
}

// fileStamp tells whether a file changed. The inode catches an editor's or
// deployment's write-then-rename even when the clock tick and size are equal.
type fileStamp struct {
	mod   int64
	size  int64
	inode uint64
}

func stampOf(st os.FileInfo) fileStamp {
	fs := fileStamp{mod: st.ModTime().UnixNano(), size: st.Size()}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		fs.inode = sys.Ino
	}
	return fs
}

// PollInterval is how often the file is checked for changes.
const PollInterval = 250 * time.Millisecond

// Open loads path and starts watching it. The first load must succeed.
func Open(path string, log *slog.Logger) (*Directory, error) {
	if log == nil {
		log = slog.Default()
	}
	d := &Directory{path: path, log: log, stop: make(chan struct{})}
	if err := d.Reload(); err != nil {
		return nil, err
	}
	go d.watch()
	return d, nil
}

// Close stops watching the file.
func (d *Directory) Close() { d.once.Do(func() { close(d.stop) }) }

func (d *Directory) watch() {
	t := time.NewTicker(PollInterval)
	defer t.Stop()
	for {
		select {
		case <-d.stop:
			return
		case <-t.C:
		}
		st, err := os.Stat(d.path)
		if err != nil {
			continue
		}
		d.mu.Lock()
		changed := stampOf(st) != d.seen
		d.mu.Unlock()
		if changed {
			if err := d.Reload(); err != nil {
				d.log.Error("tenants file not reloaded; keeping the previous directory", "path", d.path, "err", err)
			}
		}
	}
}

// Reload reads the file now. On error the directory in force is kept.
func (d *Directory) Reload() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	st, err := os.Stat(d.path)
	if err != nil {
		return err
	}
	// Remember what was seen even if it fails to parse, so a broken file is
	// reported once, not on every poll.
	d.seen = stampOf(st)
	raw, err := os.ReadFile(d.path)
	if err != nil {
		return err
	}
	snap, err := Parse(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", d.path, err)
	}
	if snap.legacy {
		if d.snap.Load() != nil {
			// Reloading it could turn a file caught half-written into a
			// directory that revokes every key left out.
			return fmt.Errorf("%s: %w", d.path, errNoTrailer(len(snap.limits)))
		}
		d.log.Warn("DEPRECATED: tenants file without a tenant_count trailer; loaded at startup, but its reloads are refused until it ends with the line `"+CountKey+": N`",
			"path", d.path, "tenants", len(snap.limits))
	}
	d.snap.Store(snap)
	d.gen.Add(1)
	d.log.Info("tenants file loaded", "path", d.path, "tenants", len(snap.limits), "keys", len(snap.keys))
	return nil
}

// Principal returns the principal of the key whose SHA-256 is sum, also
// an expired one; false when no enabled key has that hash.
func (c *Contents) Principal(sum [32]byte) (*tenant.Principal, bool) {
	p, ok := c.keys[sum]
	return p, ok
}

// Reloadable returns why c must not replace a directory already serving
// (a file without its tenant_count trailer cannot be told from one caught
// half-written), or nil.
func (c *Contents) Reloadable() error {
	if c.legacy {
		return errNoTrailer(len(c.limits))
	}
	return nil
}

func errNoTrailer(n int) error {
	return fmt.Errorf("no %s trailer, so a half-written file cannot be told from a complete one: end the file with the line `%s: %d` (the number of tenants listed)", CountKey, CountKey, n)
}

// checkComplete verifies the trailer: tenant_count must be the file's last
// top-level key and equal the number of tenants listed. It reports whether
// the file has one at all (files from before the trailer have none).
func checkComplete(raw []byte, f *File) (bool, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return false, err
	}
	if len(doc.Content) == 0 {
		return false, fmt.Errorf("the file is empty; an empty directory is written `tenants: []` followed by `%s: 0`", CountKey)
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return false, fmt.Errorf("the file must be a mapping with the keys tenants and %s", CountKey)
	}
	at := -1
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == CountKey {
			at = i
		}
	}
	switch {
	case at < 0:
		return false, nil
	case at != len(root.Content)-2:
		return true, fmt.Errorf("%s must be the last key of the file: it marks the file as complete", CountKey)
	case f.TenantCount == nil:
		return true, fmt.Errorf("%s has no value: the file is cut short", CountKey)
	case *f.TenantCount != len(f.Tenants):
		return true, fmt.Errorf("%s is %d but %d tenants are listed: the file is incomplete, or the count was not updated", CountKey, *f.TenantCount, len(f.Tenants))
	}
	return true, nil
}

// Parse validates a tenants file's content.
func Parse(raw []byte) (*Contents, error) {
	var f File
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !(errors.Is(err, io.EOF) && len(bytes.TrimSpace(raw)) == 0) {
		return nil, err
	}
	trailer, err := checkComplete(raw, &f)
	if err != nil {
		return nil, err
	}
	snap := &Contents{keys: map[[32]byte]*tenant.Principal{}, limits: map[string]*tenant.Limits{}, legacy: !trailer}
	distinct := map[tenant.Limits]*tenant.Limits{}
	keyIDs := map[string]bool{}
	for i, t := range f.Tenants {
		if !tenant.ValidUserID(t.UserID) {
			return nil, fmt.Errorf("tenant %d: invalid user_id %q (letters, digits, '-', '_', '.' only)", i, t.UserID)
		}
		if _, dup := snap.limits[t.UserID]; dup {
			return nil, fmt.Errorf("tenant %q listed twice", t.UserID)
		}
		plan := t.Plan
		if plan == "" {
			plan = "free"
		}
		l := t.Limits
		for name, v := range map[string]int64{"storage_limit_bytes": l.StorageLimitBytes,
			"monthly_operations_limit": l.MonthlyOperationsLimit, "max_keys": l.MaxKeys,
			"rate_limit.requests_per_second": l.RateLimit.RequestsPerSecond, "rate_limit.burst": l.RateLimit.Burst,
			"max_connections": l.MaxConnections, "max_payload_bytes": l.MaxPayloadBytes, "max_ttl_seconds": l.MaxTTLSeconds,
			"max_input_bytes_per_second": l.MaxInputBytesPerSecond} {
			if v < tenant.Unlimited {
				return nil, fmt.Errorf("tenant %q: %s is %d (use -1 for unlimited)", t.UserID, name, v)
			}
		}
		if !tenant.ValidEvictionPolicy(l.EvictionPolicy) {
			return nil, fmt.Errorf("tenant %q: eviction_policy %q is not one of %s", t.UserID, l.EvictionPolicy,
				strings.Join(tenant.EvictionPolicies, ", "))
		}
		lim := tenant.Limits{
			StorageBytes: l.StorageLimitBytes, MonthlyOperations: l.MonthlyOperationsLimit, MaxKeys: l.MaxKeys,
			RequestsPerSecond: l.RateLimit.RequestsPerSecond, Burst: l.RateLimit.Burst,
			MaxConnections: l.MaxConnections, MaxPayloadBytes: l.MaxPayloadBytes, MaxTTLSeconds: l.MaxTTLSeconds,
			MaxInputBytesPerSecond: l.MaxInputBytesPerSecond, EvictionPolicy: l.EvictionPolicy,
		}.WithDefaults(plan)
		if distinct[lim] == nil {
			distinct[lim] = &lim
		}
		snap.limits[t.UserID] = distinct[lim]
		for _, k := range t.Keys {
			if k.KeyID == "" || keyIDs[k.KeyID] {
				return nil, fmt.Errorf("tenant %q: key_id %q is empty or not unique", t.UserID, k.KeyID)
			}
			keyIDs[k.KeyID] = true
			sum, err := hex.DecodeString(strings.TrimSpace(k.SecretSHA256))
			if err != nil || len(sum) != 32 {
				return nil, fmt.Errorf("key %q: secret_sha256 must be 64 hex digits (synap keys hash prints it)", k.KeyID)
			}
			p := &tenant.Principal{UserID: t.UserID, KeyID: k.KeyID, Plan: plan}
			for _, name := range k.Permissions {
				perm, ok := tenant.ParsePerm(name)
				if !ok {
					return nil, fmt.Errorf("key %q: unknown permission %q", k.KeyID, name)
				}
				p.Perms |= perm
			}
			for _, name := range k.Surfaces {
				s, ok := tenant.ParseSurface(name)
				if !ok {
					return nil, fmt.Errorf("key %q: unknown surface %q", k.KeyID, name)
				}
				p.Surfaces |= s
			}
			if k.ExpiresAt != "" {
				at, err := time.Parse(time.RFC3339, k.ExpiresAt)
				if err != nil {
					return nil, fmt.Errorf("key %q: expires_at: %v", k.KeyID, err)
				}
				p.ExpiresAt = at
			}
			if k.Disabled {
				continue // known but refused: same answer as unknown
			}
			var h [32]byte
			copy(h[:], sum)
			if _, dup := snap.keys[h]; dup {
				return nil, fmt.Errorf("key %q: the same secret is used by another key", k.KeyID)
			}
			snap.keys[h] = p
		}
	}
	return snap, nil
}

var _ tenant.Directory = (*Directory)(nil)

// Resolve implements tenant.Directory.
func (d *Directory) Resolve(_ context.Context, accessKey string) (*tenant.Principal, error) {
	p, ok := d.snap.Load().keys[sha256.Sum256([]byte(accessKey))]
	if !ok || p.Expired(time.Now()) {
		return nil, tenant.ErrUnknownKey
	}
	return p, nil
}

// ResolveCached implements tenant.Directory: the whole file is in memory.
func (d *Directory) ResolveCached(accessKey string) (*tenant.Principal, error) {
	return d.Resolve(context.Background(), accessKey)
}

// Limits implements tenant.Directory.
func (d *Directory) Limits(_ context.Context, userID string) (tenant.Limits, error) {
	l, ok := d.snap.Load().limits[userID]
	if !ok {
		return tenant.Limits{}, tenant.ErrUnknownTenant
	}
	return *l, nil
}

// Generation implements tenant.Directory.
func (d *Directory) Generation() uint64 { return d.gen.Load() }
