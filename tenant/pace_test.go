package tenant

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"
)

// A tenant's input is paced at max_input_bytes_per_second: a second's
// worth goes through at once, then every read waits for what it overdrew,
// whichever connection made it; Unlimited waits never.
func TestSpendInput(t *testing.T) {
	const rate = 1000
	t0 := time.Unix(1_000_000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	type spend struct {
		at   time.Time
		n    int64
		wait time.Duration
	}
	for _, tc := range []struct {
		name   string
		rate   int64
		spends []spend
	}{
		{"a second's worth at once", rate, []spend{{at(0), 600, 0}, {at(0), 400, 0}}},
		{"then the debt", rate, []spend{{at(0), 1000, 0}, {at(0), 500, 500 * time.Millisecond}, {at(0), 250, 750 * time.Millisecond}}},
		{"refilled with time", rate, []spend{{at(0), 1000, 0}, {at(300), 300, 0}, {at(300), 100, 100 * time.Millisecond}}},
		{"never more than a second's worth", rate, []spend{{at(0), 10, 0}, {at(60_000), 1500, 500 * time.Millisecond}}},
		{"one read larger than the bucket", rate, []spend{{at(0), 4000, 3 * time.Second}}},
		{"nothing read", rate, []spend{{at(0), 1000, 0}, {at(0), 0, 0}}},
		{"unlimited", Unlimited, []spend{{at(0), 1 << 40, 0}, {at(0), 1 << 40, 0}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tn := &Tenant{UserID: "u"}
			tn.SetLimits(Limits{MaxInputBytesPerSecond: tc.rate})
			for i, s := range tc.spends {
				if got := tn.SpendInput(s.n, s.at); got != s.wait {
					t.Fatalf("spend %d of %d bytes: wait %v, want %v", i, s.n, got, s.wait)
				}
			}
		})
	}
}

// The request bucket and the input bucket share a mutex, not their tokens.
func TestSpendInputLeavesRequestsAlone(t *testing.T) {
	tn := &Tenant{UserID: "u"}
	tn.SetLimits(Limits{RequestsPerSecond: 10, Burst: 1, MaxInputBytesPerSecond: 100})
	now := time.Unix(1_000_000, 0)
	tn.SpendInput(10_000, now)
	if ok, _ := tn.AllowUnder(tn.Limits(), now); !ok {
		t.Fatal("input spent a request token")
	}
	if ok, _ := tn.AllowUnder(tn.Limits(), now); ok {
		t.Fatal("a second request within the burst of 1")
	}
}

// A paced body is read whole; a wait cut short by the request's end fails
// the read with the context's error.
func TestPaceReader(t *testing.T) {
	tn := &Tenant{UserID: "u"}
	tn.SetLimits(Limits{MaxInputBytesPerSecond: 64 << 10})
	body := bytes.Repeat([]byte("x"), 96<<10)
	start := time.Now()
	got, err := io.ReadAll(tn.PaceReader(context.Background(), bytes.NewReader(body)))
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("read %d bytes, %v", len(got), err)
	}
	// 64 KiB at once, the other 32 KiB at 64 KiB/s.
	if d := time.Since(start); d < 400*time.Millisecond {
		t.Fatalf("96 KiB at 64 KiB/s read in %v", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := io.ReadAll(tn.PaceReader(ctx, bytes.NewReader(body))); !errors.Is(err, context.Canceled) {
		t.Fatalf("a paced read after its request ended: %v", err)
	}
	tn.SetLimits(Limits{MaxInputBytesPerSecond: Unlimited})
	if r := bytes.NewReader(body); tn.PaceReader(context.Background(), r) != io.Reader(r) {
		t.Fatal("an unlimited tenant's body is wrapped")
	}
}
