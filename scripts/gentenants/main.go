// Command gentenants writes a tenants file for benchmarks, and optionally
// the RESP stream that fills each tenant with keys (for redis-cli --pipe).
// Tenant i is "t<i>" with the access key "bench-key-<i>" and no limits.
package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"strconv"
)

func main() {
	n := flag.Int("tenants", 1, "number of tenants")
	file := flag.String("file", "tenants.yaml", "tenants file to write")
	keys := flag.Int("keys", 0, "keys per tenant to write as a RESP stream on stdout")
	flag.Parse()

	f, err := os.Create(*file)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "tenants:")
	unlimited := "{storage_limit_bytes: -1, monthly_operations_limit: -1, max_keys: -1, rate_limit: {requests_per_second: -1, burst: -1}, max_connections: -1, max_payload_bytes: -1, max_input_bytes_per_second: -1}"
	for i := 0; i < *n; i++ {
		sum := sha256.Sum256([]byte("bench-key-" + strconv.Itoa(i)))
		fmt.Fprintf(w, "  - user_id: t%d\n    plan: pro\n    limits: %s\n    keys:\n      - key_id: k%d\n        secret_sha256: %s\n        permissions: [admin]\n",
			i, unlimited, i, hex.EncodeToString(sum[:]))
	}
	// The trailer marks the file complete: a cut file is refused (README, tenants file).
	fmt.Fprintf(w, "tenant_count: %d\n", *n)
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	_ = f.Close()
	if *keys == 0 {
		return
	}
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	cmd := func(args ...string) {
		fmt.Fprintf(out, "*%d\r\n", len(args))
		for _, a := range args {
			fmt.Fprintf(out, "$%d\r\n%s\r\n", len(a), a)
		}
	}
	for i := 0; i < *n; i++ {
		cmd("AUTH", "bench-key-"+strconv.Itoa(i))
		for k := 0; k < *keys; k++ {
			cmd("SET", "key:"+strconv.Itoa(k), "value-of-32-bytes-for-the-bench")
		}
	}
	_ = out.Flush()
}
