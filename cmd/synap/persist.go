package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/alecthomas/kong"

	"synap/commands"
	"synap/persist"
)

// usageFileName is the usage file in dir when persistence is on and
// usage-file is not set.
const usageFileName = "usage.json"

// yesNo is a Redis yes/no setting (appendonly); true and false work too.
type yesNo string

func yesNoOf(b bool) yesNo {
	if b {
		return "yes"
	}
	return "no"
}

func (v *yesNo) Decode(ctx *kong.DecodeContext) error {
	var text string
	if err := ctx.Scan.PopValueInto("yes|no", &text); err != nil {
		return err
	}
	switch strings.ToLower(strings.TrimSpace(text)) {
	case "yes", "true":
		*v = "yes"
	case "no", "false":
		*v = "no"
	default:
		return fmt.Errorf("appendonly must be yes or no, got %q", text)
	}
	return nil
}

// checkPersistence validates the persistence settings.
func (s *serveCmd) checkPersistence() error {
	if _, err := persist.ParseFsync(s.Appendfsync); err != nil {
		return err
	}
	if _, err := commands.ParseSavePoints(s.Save); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	for _, f := range []struct{ name, v string }{{"appendfilename", s.Appendfilename}, {"dbfilename", s.Dbfilename}} {
		if f.v == "" || f.v != filepath.Base(f.v) || f.v == "." || f.v == ".." {
			return fmt.Errorf("%s must be a file name without a directory (the directory is dir), got %q", f.name, f.v)
		}
	}
	if s.Appendfilename == s.Dbfilename || s.Appendfilename == persist.LockName || s.Dbfilename == persist.LockName {
		return errors.New("appendfilename, dbfilename and the lock file (synap.lock) must be different names")
	}
	if s.Dir == "" {
		return errors.New("dir must not be empty (the default is ./data)")
	}
	if s.AutoAofRewritePercentage < 0 {
		return fmt.Errorf("auto-aof-rewrite-percentage must not be negative, got %d", s.AutoAofRewritePercentage)
	}
	return nil
}

// persistOn reports whether the settings keep anything: appendonly no and
// no save points is a pure cache, which touches no directory at all.
func persistOn(cfg commands.Config) bool {
	return cfg.AppendOnly || strings.TrimSpace(cfg.Save) != ""
}

// checkLogCmd is `synap check-log [--fix] FILE...`.
type checkLogCmd struct {
	Fix   bool     `help:"Truncate a file with a torn or corrupt record at its last good record (the records after it are lost)."`
	Files []string `arg:"" type:"path" help:"Log files (<appendfilename>.<gen> in the data directory)."`
}

func (c *checkLogCmd) Run(stdout io.Writer) error {
	bad := 0
	for _, f := range c.Files {
		res, err := persist.CheckLog(f, c.Fix)
		if err != nil {
			return err
		}
		switch {
		case res.Corrupt != nil:
			fmt.Fprintf(stdout, "%s: %d good records, then corruption at offset %d (%s); %d bytes after the last good record\n",
				f, res.Records, res.Good, res.Corrupt.Reason, res.Size-res.Good)
		case res.Torn:
			fmt.Fprintf(stdout, "%s: %d good records, then a torn record at offset %d (%d bytes)\n", f, res.Records, res.Good, res.Size-res.Good)
		default:
			fmt.Fprintf(stdout, "%s: ok, %d records\n", f, res.Records)
			continue
		}
		if res.Truncated && res.Removed {
			fmt.Fprintf(stdout, "%s: removed (not even its header was whole: it held no record)\n", f)
			continue
		}
		if res.Truncated {
			fmt.Fprintf(stdout, "%s: truncated at offset %d\n", f, res.Good)
			continue
		}
		bad++
	}
	if bad > 0 {
		return fmt.Errorf("%d file(s) need repair: run synap check-log --fix", bad)
	}
	return nil
}
