package persist

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"synap/commands"
)

// TestRecoverLengthCorruptInTheMiddle (review finding 1): a corrupt length
// field in the middle of a file makes its record claim to run past the
// end of the file. That is not a torn tail (whole records follow it):
// start-up stops and names the file, rather than truncate every later,
// acknowledged write away.
func TestRecoverLengthCorruptInTheMiddle(t *testing.T) {
	for _, tc := range []struct {
		name string
		at   int  // byte of the length field
		flip byte // xor
	}{
		{"high byte", 3, 0x10},
		{"third byte", 2, 0x01},
		{"low byte past the end", 1, 0x40},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			srv, m := mustStart(t, dir)
			c := newClient(t, srv)
			for i := range 5 {
				c.do("SET", "k"+strconv.Itoa(i), "v")
			}
			_ = m.Close(commands.ShutdownNoSave)
			path := LogPath(dir, "appendonly.aof", 1)
			offs := recordOffsets(t, path)
			data, _ := os.ReadFile(path)
			size := len(data)
			data[offs[1]+int64(tc.at)] ^= tc.flip
			_ = os.WriteFile(path, data, 0o644)
			_, m2, err := startManaged(t, dir, true, FsyncEverysec)
			if err == nil {
				t.Fatalf("start-up went on (truncated %v)", m2.Recovered.Truncated)
			}
			if !strings.Contains(err.Error(), "log file "+path+" is corrupt at offset "+strconv.FormatInt(offs[1], 10)) ||
				!strings.Contains(err.Error(), "synap check-log --fix "+path) {
				t.Fatalf("got %v", err)
			}
			if st, _ := os.Stat(path); st.Size() != int64(size) {
				t.Fatalf("the file was changed: %d bytes, was %d", st.Size(), size)
			}
		})
	}
}
