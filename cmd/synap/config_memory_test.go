package main

import (
	"strings"
	"testing"

	"synap/commands"
)

// The memory settings come from flags, SYNAP_* variables and the config
// file like every other setting, with the same precedence.
func TestCLIMemorySettings(t *testing.T) {
	envs := []string{"SYNAP_CLIENT_OUTPUT_BUFFER_LIMIT", "SYNAP_TENANT_OUTPUT_BUFFER_LIMIT",
		"SYNAP_TRANSIENT_MEMORY_LIMIT", "SYNAP_AUTH_TIMEOUT", "SYNAP_UNAUTHENTICATED_CLIENT_LIMIT"}
	settingEnvs = append(settingEnvs, envs...)

	cliEnv(t, nil)
	_, got, err := parseArgs(nil)
	if err != nil {
		t.Fatal(err)
	}
	d := commands.DefaultConfig()
	if got.OutputBufferLimits != d.OutputBufferLimits || got.TenantOutputBufferLimit != 32<<20 ||
		got.TransientMemoryLimit != 1<<30 || got.AuthTimeout != 10 || got.MaxUnauthClients != 0 {
		t.Errorf("defaults: %+v", got.Config)
	}

	file := cliFile(t, "synap.yaml", "client-output-buffer-limit: normal 8mb 4mb 30\ntenant-output-buffer-limit: 2mb\n"+
		"transient-memory-limit: 256mb\nauth-timeout: 3\nunauthenticated-client-limit: 100\n")
	cliEnv(t, map[string]string{"SYNAP_AUTH_TIMEOUT": "5"})
	_, got, err = parseArgs([]string{"--config", file, "--transient-memory-limit", "128mb"})
	if err != nil {
		t.Fatal(err)
	}
	want := d.OutputBufferLimits
	want.Normal = commands.OutputBufferLimit{Hard: 8 << 20, Soft: 4 << 20, SoftSecs: 30}
	if got.OutputBufferLimits != want || got.TenantOutputBufferLimit != 2<<20 || got.TransientMemoryLimit != 128<<20 ||
		got.AuthTimeout != 5 || got.MaxUnauthClients != 100 {
		t.Errorf("file < env < flag: %+v", got.Config)
	}

	for args, msg := range map[string]string{
		"--client-output-buffer-limit=normal 1mb":   "Wrong number of arguments in buffer limit configuration.",
		"--client-output-buffer-limit=master 1 1 1": "Invalid client class specified in buffer limit configuration.",
		"--tenant-output-buffer-limit=1kb":          "tenant-output-buffer-limit must be at least 16384 bytes (16kb), got 1024",
		"--transient-memory-limit=1kb":              "transient-memory-limit must be at least 1048576 bytes (1mb), got 1024",
		"--auth-timeout=-1":                         "auth-timeout must be between 0 and 2147483647, got -1",
	} {
		cliEnv(t, nil)
		if _, _, err := parseArgs([]string{args}); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: got %v, want %s", args, err, msg)
		}
	}
}
