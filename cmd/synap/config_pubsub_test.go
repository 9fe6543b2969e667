package main

import (
	"strings"
	"testing"
)

// The pub/sub settings come from flags, SYNAP_* variables and the config
// file like every other setting, with the same precedence.
func TestCLIPubSubSettings(t *testing.T) {
	envs := []string{"SYNAP_NOTIFY_KEYSPACE_EVENTS", "SYNAP_PUBSUB_SUBSCRIPTIONS_PER_CLIENT", "SYNAP_PUBSUB_SUBSCRIPTIONS_PER_TENANT"}
	settingEnvs = append(settingEnvs, envs...)

	cliEnv(t, nil)
	_, got, err := parseArgs(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.NotifyKeyspaceEvents != 0 || got.PubSubMaxPerClient != 10000 || got.PubSubMaxPerTenant != 100000 {
		t.Errorf("defaults: %+v", got.Config)
	}

	file := cliFile(t, "synap.yaml", "notify-keyspace-events: Kx\npubsub-subscriptions-per-client: 5\npubsub-subscriptions-per-tenant: 50\n")
	cliEnv(t, map[string]string{"SYNAP_PUBSUB_SUBSCRIPTIONS_PER_CLIENT": "7"})
	_, fromFile, err := parseArgs([]string{"--config", file, "--pubsub-subscriptions-per-tenant", "70"})
	if err != nil {
		t.Fatal(err)
	}
	cliEnv(t, nil)
	_, kx, err := parseArgs([]string{"--notify-keyspace-events", "Kx"})
	if err != nil {
		t.Fatal(err)
	}
	if fromFile.NotifyKeyspaceEvents != kx.NotifyKeyspaceEvents || kx.NotifyKeyspaceEvents == 0 ||
		fromFile.PubSubMaxPerClient != 7 || fromFile.PubSubMaxPerTenant != 70 {
		t.Errorf("file < env < flag: %+v", fromFile.Config)
	}

	for args, msg := range map[string]string{
		"--notify-keyspace-events=KQ":          `notify-keyspace-events "KQ": Invalid event class character. Use 'Ag$lshzxeKEtmdn'.`,
		"--pubsub-subscriptions-per-client=-1": "must not be negative",
	} {
		cliEnv(t, nil)
		if _, _, err := parseArgs([]string{args}); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: got %v, want %s", args, err, msg)
		}
	}
}
