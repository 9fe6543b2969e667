package compat

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

var txCases = []testCase{
	{name: "tx_pipelined", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		var incr *redis.IntCmd
		var get *redis.StringCmd
		cmds, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "k", "v", 0)
			incr = p.Incr(ctx, "k")
			get = p.Get(ctx, "k")
			return nil
		})
		if len(cmds) != 3 {
			t.Fatalf("TxPipelined returned %d commands, err %v", len(cmds), err)
		}
		// A runtime error fails one command, not the transaction.
		if err == nil || err.Error() != "ERR value is not an integer or out of range" {
			t.Errorf("TxPipelined error %v", err)
		}
		wantErr(t, incr, "ERR value is not an integer or out of range")
		want(t, get, "v")
	}},
	{name: "multi_errors", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		conn := rdb.Conn()
		defer conn.Close()
		wantErr(t, conn.Do(ctx, "EXEC"), "ERR EXEC without MULTI")
		wantErr(t, conn.Do(ctx, "DISCARD"), "ERR DISCARD without MULTI")
		want(t, conn.Do(ctx, "MULTI"), any("OK"))
		wantErr(t, conn.Do(ctx, "MULTI"), "ERR MULTI calls can not be nested")
		wantErr(t, conn.Do(ctx, "WATCH", "k"), "ERR WATCH inside MULTI is not allowed")
		want(t, conn.Do(ctx, "SET", "k", "1"), any("QUEUED"))
		wantErr(t, conn.Do(ctx, "GET"), "ERR wrong number of arguments for 'get' command")
		want(t, conn.Do(ctx, "SET", "k", "2"), any("QUEUED"))
		wantErr(t, conn.Do(ctx, "EXEC"), "EXECABORT Transaction discarded because of previous errors.")
		wantNil(t, conn.Get(ctx, "k"))
		want(t, conn.Do(ctx, "MULTI"), any("OK"))
		want(t, conn.Do(ctx, "SET", "k", "1"), any("QUEUED"))
		want(t, conn.Do(ctx, "DISCARD"), any("OK"))
		wantNil(t, conn.Get(ctx, "k"))
		want(t, conn.Do(ctx, "MULTI"), any("OK"))
		want(t, conn.Do(ctx, "EXEC"), any([]interface{}{}))
	}},
	{name: "watch", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		setup(t, rdb.Set(ctx, "w", "1", 0))
		other := tg.client(t, nil)
		// Untouched: the transaction runs.
		err := rdb.Watch(ctx, func(tx *redis.Tx) error {
			_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Incr(ctx, "n")
				return nil
			})
			return err
		}, "w")
		if err != nil {
			t.Errorf("untouched WATCH: %v", err)
		}
		// Changed by another client between WATCH and EXEC: it fails.
		err = rdb.Watch(ctx, func(tx *redis.Tx) error {
			setup(t, other.Set(ctx, "w", "2", 0))
			_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Incr(ctx, "n")
				return nil
			})
			return err
		}, "w")
		if !errors.Is(err, redis.TxFailedErr) {
			t.Errorf("WATCH of a changed key: %v, want %v", err, redis.TxFailedErr)
		}
		want(t, rdb.Get(ctx, "n"), "1")
		// Writing the same value, deleting, expiring, flushing: all changes.
		for _, change := range []func() errer{
			func() errer { return other.Set(ctx, "w", "2", 0) },
			func() errer { return other.Expire(ctx, "w", time.Hour) },
			func() errer { return other.Del(ctx, "w") },
			func() errer { return other.Set(ctx, "w", "3", 0) },
			func() errer { return other.FlushDB(ctx) },
		} {
			err = rdb.Watch(ctx, func(tx *redis.Tx) error {
				setup(t, change())
				_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
					p.Incr(ctx, "n")
					return nil
				})
				return err
			}, "w")
			if !errors.Is(err, redis.TxFailedErr) {
				t.Errorf("WATCH then %v: %v, want %v", change().Args(), err, redis.TxFailedErr)
			}
		}
		// A command that changes nothing fails nothing.
		setup(t, rdb.Set(ctx, "w", "1", 0))
		err = rdb.Watch(ctx, func(tx *redis.Tx) error {
			setup(t, other.SetNX(ctx, "w", "2", 0))
			setup(t, other.Get(ctx, "w"))
			_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, "n", "10", 0)
				return nil
			})
			return err
		}, "w")
		if err != nil {
			t.Errorf("WATCH after a failed SETNX and a GET: %v", err)
		}
		want(t, rdb.Get(ctx, "n"), "10")
	}},
	{name: "watch_expiry", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		setup(t, rdb.Set(ctx, "w", "1", 50*time.Millisecond))
		err := rdb.Watch(ctx, func(tx *redis.Tx) error {
			time.Sleep(120 * time.Millisecond)
			_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, "n", "1", 0)
				return nil
			})
			return err
		}, "w")
		if !errors.Is(err, redis.TxFailedErr) {
			t.Errorf("WATCH of a key that expired: %v, want %v", err, redis.TxFailedErr)
		}
		wantNil(t, rdb.Get(ctx, "n"))
	}},
	{name: "watch_optimistic_counter", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		// The textbook check-and-set: concurrent clients incrementing through
		// GET + MULTI/SET/EXEC with retries never lose an update.
		const workers, each = 4, 25
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := tg.client(t, nil)
				for i := 0; i < each; i++ {
					for {
						err := c.Watch(ctx, func(tx *redis.Tx) error {
							n, err := tx.Get(ctx, "ctr").Int()
							if err != nil && !errors.Is(err, redis.Nil) {
								return err
							}
							_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
								p.Set(ctx, "ctr", strconv.Itoa(n+1), 0)
								return nil
							})
							return err
						}, "ctr")
						if err == nil {
							break
						}
						if !errors.Is(err, redis.TxFailedErr) {
							t.Errorf("WATCH: %v", err)
							return
						}
					}
				}
			}()
		}
		wg.Wait()
		want(t, rdb.Get(ctx, "ctr"), strconv.Itoa(workers*each))
	}},
	{name: "multi_blocking_does_not_block", needs: []string{"blpop"}, fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		cmds, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.BLPop(ctx, 0, "nolist")
			p.Set(ctx, "k", "v", 0)
			return nil
		})
		if len(cmds) != 2 || !errors.Is(err, redis.Nil) {
			t.Fatalf("BLPOP inside MULTI: %d commands, err %v", len(cmds), err)
		}
		wantNil(t, cmds[0])
		want(t, rdb.Get(ctx, "k"), "v")
	}},
}
