package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/redis/go-redis/v9"

	"synap/rdb"
)

// importCmd loads an RDB file into a running server over RESP, one RESTORE
// per key, so every key goes through the same checks as any client's write:
// with a tenant's access key it lands in that tenant's namespace, held to
// its quotas and permissions (the key needs write).
type importCmd struct {
	File string `arg:"" help:"The RDB file (version 10 or lower, as redis-server 7.0 writes on SAVE)."`
	Addr string `default:"127.0.0.1:6379" help:"The running server's RESP address."`
	Key  string `env:"SYNAP_IMPORT_KEY" help:"The password or tenant access key to AUTH with (from the environment, to keep it out of the shell history)."`
	DB   int    `default:"-1" help:"Import only this database of the file, into the connection's database; -1 imports each into its own number."`
}

// maxImportFile bounds the file read into memory.
const maxImportFile = 4 << 30

func (c *importCmd) Run(stdout io.Writer) error {
	fi, err := os.Stat(c.File)
	if err != nil {
		return err
	}
	if fi.Size() > maxImportFile {
		return fmt.Errorf("%s is %d bytes, over the %d this command reads", c.File, fi.Size(), int64(maxImportFile))
	}
	b, err := os.ReadFile(c.File)
	if err != nil {
		return err
	}
	ctx := context.Background()
	cl := redis.NewClient(&redis.Options{Addr: c.Addr, Password: c.Key, Protocol: 2, PoolSize: 1})
	defer cl.Close()
	conn := cl.Conn()
	defer conn.Close()
	db, n := -1, 0
	err = rdb.ReadFile(b, func(r rdb.Record) error {
		if c.DB >= 0 && r.DB != c.DB {
			return nil
		}
		if c.DB < 0 && r.DB != db {
			if err := conn.Do(ctx, "SELECT", r.DB).Err(); err != nil {
				return fmt.Errorf("SELECT %d: %w", r.DB, err)
			}
			db = r.DB
		}
		p, err := payload(r.Value)
		if err != nil {
			return fmt.Errorf("key %q: %w", r.Key, err)
		}
		if err := conn.Do(ctx, "RESTORE", r.Key, strconv.FormatInt(r.ExpireAt, 10), p, "ABSTTL", "REPLACE").Err(); err != nil {
			return fmt.Errorf("RESTORE %q: %w", r.Key, err)
		}
		n++
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w (%d keys imported before)", c.File, err, n)
	}
	fmt.Fprintf(stdout, "imported %d keys\n", n)
	return nil
}

func payload(v rdb.Value) ([]byte, error) {
	switch v.Type {
	case rdb.TypeString:
		return rdb.DumpString(v.Str), nil
	case rdb.TypeList:
		return rdb.DumpList(v.Items), nil
	case rdb.TypeSet:
		return rdb.DumpSet(v.Items), nil
	case rdb.TypeHash:
		return rdb.DumpHash(v.Items), nil
	case rdb.TypeZSet2:
		return rdb.DumpZSet(v.Items, v.Scores), nil
	case rdb.TypeStreamListpacks2:
		return rdb.DumpStream(v.Stream), nil
	}
	return nil, rdb.ErrUnsupported
}
