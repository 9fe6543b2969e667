package main

import (
	"fmt"
	"path/filepath"
	"syscall"
	"testing"

	"synap/resp/resptest"
	"synap/tenant/tenantsfile"
)

// The binary keeps each tenant's monthly operations in --usage-file across
// a stop: a tenant that used its month cannot get a new one by waiting for
// a restart.
func TestCLIMonthlyOpsSurviveRestart(t *testing.T) {
	const secret = "sk_monthly-tenant-secret"
	dir := t.TempDir()
	tenants, usage := filepath.Join(dir, "tenants.yaml"), filepath.Join(dir, "usage.json")
	cliWriteFile(t, tenants, fmt.Sprintf("tenants:\n  - user_id: dora\n    plan: pro\n    limits: {monthly_operations_limit: 8}\n"+
		"    keys:\n      - key_id: dora-rw\n        secret_sha256: %s\n        permissions: [read, write]\ntenant_count: 1\n", tenantsfile.HashKey(secret)))
	args := []string{"--port", "0", "--cluster-mode", "--tenants-file", tenants, "--admin-key", cliAdminKey, "--usage-file", usage}

	run := func(sets int, last string) {
		t.Helper()
		cmd, addr, _ := cliStartLog(t, args...)
		c, err := resptest.Dial(addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if got := c.Do("AUTH", secret); got != "+OK" {
			t.Fatalf("AUTH: %s", got)
		}
		for i := range sets {
			if got := c.Do("SET", "k", "v"); got != "+OK" {
				t.Fatalf("SET %d: %s", i+1, got)
			}
		}
		if got := c.Do("SET", "k", "v"); got != last {
			t.Fatalf("SET %d: %s, want %s", sets+1, got, last)
		}
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if code := cliExitCode(t, cmd); code != 0 {
			t.Fatalf("exit status %d", code)
		}
	}
	run(3, "+OK")                                                   // AUTH and 4 SETs: 5 of 8
	run(2, "-QUOTA monthly operations quota exceeded: used 8 of 8") // AUTH and 2 SETs: 8 of 8
	run(0, "-QUOTA monthly operations quota exceeded: used 9 of 8") // AUTH is counted, never refused
}
