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
