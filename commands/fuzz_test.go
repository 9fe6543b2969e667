package commands

import (
	"bytes"
	"net"
	"strings"
	"sync"
	"testing"

	"synap/resp/resptest"
)

// FuzzCommands sends every row of the command table arguments the fuzzer
// invents, through a real server over TCP: whatever the arguments, a
// command answers (an error is fine) and never drops the connection. It
// never panics: an engine assertion is answered "internal error", which
// fails the input here, and any other panic stops the process (the panic
// policy, dispatch.go), which the fuzzing engine reports as a crash with
// the input that caused it. The first two bytes of each line pick the row
// (the table has about 250 rows the fuzzer may run: one byte would leave
// the rows past 255 unreachable once it grows), so every command's parser
// gets explored rather than only "unknown command"; the seeds are the
// isolation examples, which cover every row with sensible arguments.
// rowOf is the row two bytes pick among n: the bytes are digits of a
// base-255 number, the line break (which separates commands, so never
// occurs in a line) left out, so every row up to 65,025 is reachable
// whatever n is. Plain hi<<8|lo modulo n left a row out of reach (and
// the seeding below looping for ever) whenever n was a multiple of 256.
func rowOf(hi, lo byte, n int) int { return (digit(hi)*255 + digit(lo)) % n }

func digit(b byte) int {
	if b > '\n' {
		return int(b) - 1
	}
	return int(b)
}

// rowBytes are the two bytes, neither a line break, that pick row i.
func rowBytes(i int) (hi, lo byte) {
	unDigit := func(d int) byte {
		if d >= '\n' {
			return byte(d + 1)
		}
		return byte(d)
	}
	return unDigit(i / 255), unDigit(i % 255)
}

func FuzzCommands(f *testing.F) {
	rows := fuzzRows()
	index := map[string]int{}
	for i, r := range rows {
		index[r.Name] = i
	}
	for name, exs := range isolationExamples {
		i, ok := index[name]
		if !ok {
			continue
		}
		hi, lo := rowBytes(i)
		for _, ex := range exs {
			f.Add(append([]byte{hi, lo}, strings.Join(ex[len(strings.Split(name, "|")):], " ")...))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c := fuzzClient(t)
		// The lines go out as one pipeline, so the serve loop's lookahead
		// (warm) sees the invented arguments too.
		var raw []byte
		var sent [][]string
		for _, line := range bytes.SplitN(data, []byte("\n"), 4) {
			if len(line) < 2 {
				continue
			}
			row := rows[rowOf(line[0], line[1], len(rows))]
			args := strings.Split(row.Name, "|")
			if rest := line[2:]; len(rest) > 0 {
				for i, a := range bytes.Split(rest, []byte(" ")) {
					if i == 12 {
						break
					}
					args = append(args, string(a))
				}
			}
			raw = append(raw, resptest.Encode(args...)...)
			sent = append(sent, args)
			if len(fuzzHistory) == fuzzHistoryMax { // fuzzing runs millions
				fuzzHistory = append(fuzzHistory[:0], fuzzHistory[fuzzHistoryMax/2:]...)
			}
			fuzzHistory = append(fuzzHistory, args)
		}
		if err := c.Send(string(raw)); err != nil {
			fuzzConn = nil
			t.Fatal(err)
		}
		for _, args := range sent {
			reply := c.Read()
			if strings.HasPrefix(reply, "ERROR:") || strings.Contains(reply, "internal error") {
				fuzzConn = nil
				// The seeds run in the map's order, a new one each run,
				// all on this connection: what came before is the case.
				t.Fatalf("%q: %s\nsent on this connection before it: %q", args, reply, fuzzHistory)
			}
		}
	})
}

// fuzzRows are the table's rows the fuzzer may run: all but those that
// end the connection or the server, block it, silence it, or change the
// server's configuration under the other inputs.
func fuzzRows() []*Command {
	skip := map[string]bool{
		"shutdown": true, "quit": true, "client|kill": true, "client|reply": true,
		"config|set": true, "hello": true, // HELLO 3 would change the reply notation mid-run
		"wait":    true, // blocks without the blocking flag (Redis's flags): WAIT 1 0 never returns
		"monitor": true, // its lines would interleave with the replies read here
		// An invented CLIENT PAUSE 99999999 ALL would hold every later
		// input, which then times out.
		"client|pause": true,
	}
	var out []*Command
	for _, r := range isolationRows(NewTable().All()) {
		if r.Run == nil || skip[r.Name] || r.Flags&FlagBlocking != 0 {
			continue
		}
		out = append(out, r)
	}
	return out
}

var (
	fuzzOnce sync.Once
	fuzzAddr string
	fuzzConn *resptest.Client
	// fuzzHistory is what was sent on fuzzConn: every seed's command, and
	// the latest of a fuzzing run's.
	fuzzHistory [][]string
)

const fuzzHistoryMax = 2048

// fuzzClient is one connection to one server for the whole fuzzing
// process; arguments are bounded to 1 MB so no input allocates much.
func fuzzClient(t *testing.T) *resptest.Client {
	fuzzOnce.Do(func() {
		srv := newTestServer(func(c *Config) { c.ProtoMaxBulkLen = 1 << 20 })
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			panic(err)
		}
		ServeRESP(srv, ln)
		fuzzAddr = ln.Addr().String()
	})
	if fuzzConn == nil {
		fuzzHistory = nil
		c, err := resptest.Dial(fuzzAddr)
		if err != nil {
			t.Fatal(err)
		}
		fuzzConn = c
	}
	return fuzzConn
}
