// Command memload writes the RESP stream of one row of the memory benchmark
// (scripts/bench-memory.sh) on stdout, for redis-cli --pipe: the same data
// goes to redis-server and to Synap, so their RSS compare like for like.
//
//	strings   1M keys key:%08d -> 16-byte values
//	ttl       the same with a TTL of one day each
//	hashes    100k hashes of 10 short fields
//	lists     10k lists of 100 elements
//	sets      10k sets of 100 short (non-integer) members
//	zsets     10k sorted sets of 100 members
//	tenants   10,000 tenants x 100 keys: with -redis, plain keys prefixed
//	          by the tenant (what one Redis would hold); otherwise AUTH as
//	          each tenant of scripts/gentenants' file, then its 100 SETs
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strconv"
)

func main() {
	row := flag.String("row", "strings", "strings|ttl|hashes|lists|sets|zsets|tenants")
	redis := flag.Bool("redis", false, "tenants row: prefixed keys instead of AUTH per tenant")
	flag.Parse()

	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer out.Flush()
	var args [][]byte
	emit := func() {
		out.WriteString("*")
		out.WriteString(strconv.Itoa(len(args)))
		out.WriteString("\r\n")
		for _, a := range args {
			out.WriteString("$")
			out.WriteString(strconv.Itoa(len(a)))
			out.WriteString("\r\n")
			out.Write(a)
			out.WriteString("\r\n")
		}
		args = args[:0]
	}
	add := func(s ...string) {
		for _, x := range s {
			args = append(args, []byte(x))
		}
	}
	val := func(i int) string { return fmt.Sprintf("value:%010d", i) } // 16 bytes

	switch *row {
	case "strings", "ttl":
		for i := 0; i < 1_000_000; i++ {
			add("SET", fmt.Sprintf("key:%08d", i), val(i))
			if *row == "ttl" {
				add("EX", "86400")
			}
			emit()
		}
	case "hashes":
		for i := 0; i < 100_000; i++ {
			add("HSET", fmt.Sprintf("hash:%06d", i))
			for f := 0; f < 10; f++ {
				add("field"+strconv.Itoa(f), "v"+strconv.Itoa(i*10+f))
			}
			emit()
		}
	case "lists":
		for i := 0; i < 10_000; i++ {
			add("RPUSH", fmt.Sprintf("list:%05d", i))
			for e := 0; e < 100; e++ {
				add("element:" + strconv.Itoa(e))
			}
			emit()
		}
	case "sets":
		for i := 0; i < 10_000; i++ {
			add("SADD", fmt.Sprintf("set:%05d", i))
			for e := 0; e < 100; e++ {
				add("member:" + strconv.Itoa(e))
			}
			emit()
		}
	case "zsets":
		for i := 0; i < 10_000; i++ {
			add("ZADD", fmt.Sprintf("zset:%05d", i))
			for e := 0; e < 100; e++ {
				add(strconv.Itoa(e), "member:"+strconv.Itoa(e))
			}
			emit()
		}
	case "tenants":
		for t := 0; t < 10_000; t++ {
			if !*redis {
				add("AUTH", "bench-key-"+strconv.Itoa(t))
				emit()
			}
			for k := 0; k < 100; k++ {
				key := "key:" + strconv.Itoa(k)
				if *redis {
					key = "t" + strconv.Itoa(t) + ":" + key
				}
				add("SET", key, val(t*100+k))
				emit()
			}
		}
	default:
		fmt.Fprintln(os.Stderr, "memload: unknown row", *row)
		os.Exit(2)
	}
}
