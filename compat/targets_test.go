package compat

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"synap/tenant/tenantsfile"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"synap/commands"
	"synap/resp/resptest"
	"synap/resp/server/servertest"
)

type serverKind int

const (
	kindSynap serverKind = iota
	kindRedis
	// kindSynapCluster is Synap in cluster mode, spoken to as a tenant
	// whose key has the admin permission.
	kindSynapCluster
)

// target is one server kind spoken to with one protocol version.
type target struct {
	name     string
	kind     serverKind
	proto    int
	addr     string // the shared server of the suite
	authAddr string // a server of the same kind with requirepass compatPassword
	// spawn starts a throwaway server of the same kind (for SHUTDOWN) and
	// returns its address and a channel closed once it has exited.
	spawn func(t *testing.T) (addr string, exited <-chan struct{})
	// password, when set, is the access key every client authenticates
	// with: the cluster-mode targets run as a tenant with admin permission.
	password string

	versionOnce  sync.Once
	major, minor int
	versionErr   error
}

// options are the go-redis settings every case starts from: the library's
// defaults except that failures are reported at once instead of retried.
func (tg *target) options(addr string) *redis.Options {
	return &redis.Options{
		Addr:         addr,
		Protocol:     tg.proto,
		MaxRetries:   -1,
		DialTimeout:  5 * time.Second,
		ReadTimeout:  10 * time.Second,
		WriteTimeout: 10 * time.Second,
		PoolSize:     4,
		Username:     usernameFor(tg.password),
		Password:     tg.password,
	}
}

func usernameFor(password string) string {
	if password == "" {
		return ""
	}
	return "default"
}

// client returns a go-redis client of the target's protocol; edit adjusts
// its options (e.g. a password or another address) before it connects.
func (tg *target) client(t *testing.T, edit func(*redis.Options)) *redis.Client {
	t.Helper()
	opt := tg.options(tg.addr)
	if edit != nil {
		edit(opt)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

func (tg *target) isSynap() bool { return tg.kind == kindSynap || tg.kind == kindSynapCluster }

// startSynap serves an in-process Synap on a loopback port until the test
// ends and returns it.
func startSynap(t *testing.T, requirepass string) *commands.Server {
	t.Helper()
	cfg := commands.DefaultConfig()
	cfg.Shards = 16
	cfg.RequirePass = requirepass
	return servertest.Start(t, cfg)
}

func synapTargets(t *testing.T) []*target {
	main, auth := startSynap(t, ""), startSynap(t, compatPassword)
	spawn := func(t *testing.T) (string, <-chan struct{}) {
		srv := startSynap(t, "")
		return srv.Addr().String(), srv.Done()
	}
	cluster := startSynapCluster(t)
	var out []*target
	for _, proto := range []int{2, 3} {
		out = append(out, &target{
			name: "synap-resp" + strconv.Itoa(proto), kind: kindSynap, proto: proto,
			addr: main.Addr().String(), authAddr: auth.Addr().String(), spawn: spawn,
		})
	}
	for _, proto := range []int{2, 3} {
		out = append(out, &target{
			name: "synap-cluster-resp" + strconv.Itoa(proto), kind: kindSynapCluster, proto: proto,
			addr: cluster.Addr().String(), authAddr: auth.Addr().String(), spawn: spawn,
			password: clusterTenantKey,
		})
	}
	return out
}

// clusterTenantKey is the access key of the cluster targets' tenant, which
// has the admin permission (everything a tenant may do).
const clusterTenantKey = "compat-tenant-key"

// startSynapCluster serves Synap in cluster mode with one tenant.
func startSynapCluster(t *testing.T) *commands.Server {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tenants.yaml")
	body := "tenants:\n  - user_id: compat\n    plan: pro\n    keys:\n      - key_id: compat-admin\n" +
		"        secret_sha256: " + tenantsfile.HashKey(clusterTenantKey) + "\n        permissions: [admin]\ntenant_count: 1\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir, err := tenantsfile.Open(path, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dir.Close)
	cfg := commands.DefaultConfig()
	cfg.Shards = 16
	cfg.ClusterMode, cfg.TenantsFile, cfg.AdminKey = true, path, "compat-operator-key-0123"
	srv := commands.NewServer(cfg, log)
	srv.Dir = dir
	return servertest.Serve(t, srv)
}

// startRedisTargets starts the real redis-servers of the suite, or returns
// why it cannot.
func startRedisTargets(t *testing.T) ([]*target, string) {
	path, missing := resptest.RedisServer()
	if missing != "" {
		return nil, missing + ": the Redis targets that prove each expectation cannot run"
	}
	if err := resptest.CheckRedisServer(path); err != nil {
		t.Fatal(err)
	}
	main, auth := startRedis(t), startRedis(t, "--requirepass", compatPassword)
	spawn := func(t *testing.T) (string, <-chan struct{}) {
		p := startRedis(t)
		return p.addr, p.exited
	}
	var out []*target
	for _, proto := range []int{2, 3} {
		out = append(out, &target{
			name: "redis-resp" + strconv.Itoa(proto), kind: kindRedis, proto: proto,
			addr: main.addr, authAddr: auth.addr, spawn: spawn,
		})
	}
	return out, ""
}

type redisProcess struct {
	addr   string
	exited chan struct{}
}

// startRedis runs a redis-server on a free loopback port until the test
// ends (or until a case shuts it down).
func startRedis(t *testing.T, extra ...string) *redisProcess {
	t.Helper()
	port := freePort(t)
	args := append([]string{
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", t.TempDir(),
	}, extra...)
	cmd := exec.Command("redis-server", args...)
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatalf("redis-server: %v", err)
	}
	p := &redisProcess{addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = cmd.Process.Kill()
			<-p.exited
		}
	})
	if err := waitForRedis(p); err != nil {
		t.Fatalf("redis-server on %s: %v", p.addr, err)
	}
	return p
}

// waitForRedis waits until the server accepts connections; a requirepass
// server answers NOAUTH, which also means it is up.
func waitForRedis(p *redisProcess) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-p.exited:
			return fmt.Errorf("exited during startup")
		default:
		}
		c, err := net.DialTimeout("tcp", p.addr, time.Second)
		if err == nil {
			_ = c.SetDeadline(time.Now().Add(time.Second))
			_, err = c.Write([]byte("PING\r\n"))
			buf := make([]byte, 64)
			var n int
			if err == nil {
				n, err = c.Read(buf)
			}
			_ = c.Close()
			if err == nil && n > 0 && buf[0] != '-' || err == nil && string(buf[:7]) == "-NOAUTH" {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after 10s: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// freePort finds a loopback port that nothing listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// atLeast reports whether the server reports Redis version major.minor or
// later in HELLO, for the few texts that changed between 7.0 and 7.2.
func (tg *target) atLeast(ctx context.Context, t *testing.T, major, minor int) bool {
	t.Helper()
	tg.versionOnce.Do(func() {
		rdb := redis.NewClient(tg.options(tg.addr))
		defer rdb.Close()
		conn := rdb.Conn()
		defer conn.Close()
		m, err := conn.Hello(ctx, tg.proto, "", "", "").Result()
		if err != nil {
			tg.versionErr = err
			return
		}
		v, _ := m["version"].(string)
		if _, err := fmt.Sscanf(v, "%d.%d", &tg.major, &tg.minor); err != nil {
			tg.versionErr = fmt.Errorf("version %q: %v", v, err)
		}
	})
	if tg.versionErr != nil {
		t.Fatalf("server version: %v", tg.versionErr)
	}
	return tg.major > major || tg.major == major && tg.minor >= minor
}
