package commands

import (
	"strings"
	"testing"
)

// A command refused from its headers for the tenant's payload limit (the
// connection is closed) counts in the tenant's rejected_payload, as one
// refused after it was read does.
func TestPayloadRefusedFromHeadersCounted(t *testing.T) {
	f := startCluster(t)
	carol := f.as(t, "carol-rw") // max_payload_bytes: 60
	runSteps(t, carol, []step{{cmd: "SET k " + strings.Repeat("x", 61), want: "-QUOTA payload of 62 bytes exceeds the limit of 60 bytes"}})
	if err := carol.Send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$204800\r\n"); err != nil {
		t.Fatal(err)
	}
	if got := carol.Read(); got != "-QUOTA payload of at least 204801 bytes exceeds the limit of 60 bytes" {
		t.Fatalf("got %s", got)
	}
	hostileClosed(t, carol)
	if ti := f.as(t, "operator").Do("TENANT", "INFO", "carol"); !strings.Contains(ti, `rejected_payload:2\r\n`) {
		t.Errorf("TENANT INFO carol: %s", ti)
	}
}

// SETRANGE creating a key is held to the key's whole growth (its name,
// its charge and its bytes), exactly at the boundary.
func TestSetRangeQuotaBoundary(t *testing.T) {
	setCarolLimits(t, "{storage_limit_bytes: 920, rate_limit: {requests_per_second: -1, burst: -1}, max_connections: -1, max_keys: -1, monthly_operations_limit: -1}")
	f := startCluster(t)
	c := f.as(t, "carol-rw")
	runSteps(t, c, []step{
		// 808 bytes, a 1-byte name and the key's 112: one over.
		{cmd: "SETRANGE n 807 x", want: "-QUOTA storage quota exceeded: used 0 of 920 bytes"},
		{cmd: "EXISTS n", want: ":0"},
		{cmd: "SETRANGE n 806 x", want: ":807"}, // exactly 920
		{cmd: "SETRANGE n 807 x", want: "-QUOTA storage quota exceeded: used 920 of 920 bytes"},
		{cmd: "STRLEN n", want: ":807"},
	})
}
