package commands

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// A tenant's MULTI queues at most maxTenantMulti (256) commands: EXEC of
// 10k SETs held every shard, which every other tenant needs, for ~10 ms. The
// command past the bound is refused and dooms the transaction, as a queue
// past its byte bound does; nothing of it runs.
func TestHostileTenantMultiCommandBound(t *testing.T) {
	f := startCluster(t)
	c := f.as(t, "alice-rw")
	runSteps(t, c, []step{{cmd: "MULTI", want: "+OK"}})
	var batch bytes.Buffer
	for i := range maxTenantMulti + 1 {
		batch.Write(encodeArgs("SET", "k"+strconv.Itoa(i), "v"))
	}
	if err := c.Send(batch.String()); err != nil {
		t.Fatal(err)
	}
	for i := range maxTenantMulti {
		if got := c.Read(); got != "+QUEUED" {
			t.Fatalf("command %d: %s", i, got)
		}
	}
	want := "-ERR MULTI of a tenant holds at most 256 commands: EXEC runs them under every lock they need, which other tenants wait for; split the transaction"
	if got := c.Read(); got != want {
		t.Fatalf("command %d: got %s, want %s", maxTenantMulti, got, want)
	}
	runSteps(t, c, []step{
		{cmd: "EXEC", want: "-EXECABORT Transaction discarded because of previous errors."},
		{cmd: "EXISTS k0", want: ":0"},
		// Exactly the bound is fine.
		{cmd: "MULTI", want: "+OK"},
	})
	batch.Reset()
	for range maxTenantMulti {
		batch.Write(encodeArgs("INCR", "n"))
	}
	if err := c.Send(batch.String()); err != nil {
		t.Fatal(err)
	}
	for i := range maxTenantMulti {
		if got := c.Read(); got != "+QUEUED" {
			t.Fatalf("command %d: %s", i, got)
		}
	}
	if err := c.Send("*1\r\n$4\r\nEXEC\r\n"); err != nil {
		t.Fatal(err)
	}
	got := c.Read()
	if !strings.HasPrefix(got, "[:1 :2 ") || !strings.HasSuffix(got, " :256]") {
		t.Fatalf("EXEC: %.80s...%s", got, got[max(0, len(got)-20):])
	}
	runSteps(t, c, []step{{cmd: "GET n", want: `"256"`}})
}

// KEYS writes the names into the reply as it finds them and puts the
// count in front at the end: the reply must be exactly what collecting
// them first gave, for every pattern, empty or not, in both protocols.
func TestKeysStreamedReply(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	var batch bytes.Buffer
	names := map[string]bool{}
	for i := range 3000 {
		k := "key:" + strconv.Itoa(i)
		names[k] = true
		batch.Write(encodeArgs("SET", k, "v"))
	}
	if err := c.Send(batch.String()); err != nil {
		t.Fatal(err)
	}
	for range 3000 {
		if got := c.Read(); got != "+OK" {
			t.Fatal(got)
		}
	}
	check := func(pattern string, want func(string) bool) {
		t.Helper()
		got := c.Do("KEYS", pattern)
		var exp []string
		for k := range names {
			if want(k) {
				exp = append(exp, strconv.Quote(k))
			}
		}
		if len(exp) == 0 {
			if got != "[]" {
				t.Fatalf("KEYS %s: %.100s", pattern, got)
			}
			return
		}
		if !strings.HasPrefix(got, "[") || !strings.HasSuffix(got, "]") {
			t.Fatalf("KEYS %s: %.100s", pattern, got)
		}
		items := strings.Fields(got[1 : len(got)-1])
		sort.Strings(items)
		sort.Strings(exp)
		if strings.Join(items, " ") != strings.Join(exp, " ") {
			t.Fatalf("KEYS %s: %d names, want %d", pattern, len(items), len(exp))
		}
	}
	for _, proto := range []string{"2", "3"} {
		if got := c.Do("HELLO", proto); strings.HasPrefix(got, "-") {
			t.Fatal(got)
		}
		check("*", func(string) bool { return true })
		check("key:1*", func(k string) bool { return strings.HasPrefix(k, "key:1") })
		check("nothing*", func(string) bool { return false })
	}
	// Ahead of and behind other replies of the same pipeline.
	if err := c.Send(string(encodeArgs("PING")) + string(encodeArgs("KEYS", "key:29?9")) + string(encodeArgs("PING"))); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"+PONG", "[\"key:2999\" \"key:2989\" \"key:2979\" \"key:2969\" \"key:2959\" \"key:2949\" \"key:2939\" \"key:2929\" \"key:2919\" \"key:2909\"]", "+PONG"} {
		got := c.Read()
		if want[0] == '[' {
			items := strings.Fields(got[1 : len(got)-1])
			sort.Strings(items)
			wantItems := strings.Fields(want[1 : len(want)-1])
			sort.Strings(wantItems)
			got, want = strings.Join(items, " "), strings.Join(wantItems, " ")
		}
		if got != want {
			t.Fatalf("got %.200s, want %s", got, want)
		}
	}
}

func encodeArgs(args ...string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.Bytes()
}

// SORT past sortRun elements sorts in runs merged with yields between
// them (detached: no lock held); the order must be exactly the one a
// single sort gives: by score, ties by the element, and for ALPHA by bytes.
func TestSortYieldingOrder(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	const n = 3*sortRun + 123
	var batch bytes.Buffer
	type el struct {
		name  string
		score int
	}
	var els []el
	for i := range n {
		name := fmt.Sprintf("e%05d", (i*7919)%n)
		score := (i * 31) % 97 // many ties, broken by the element
		els = append(els, el{name, score})
		batch.Write(encodeArgs("RPUSH", "l", name))
		batch.Write(encodeArgs("SET", "w_"+name, strconv.Itoa(score)))
	}
	if err := c.Send(batch.String()); err != nil {
		t.Fatal(err)
	}
	for range 2 * n {
		if got := c.Read(); strings.HasPrefix(got, "-") {
			t.Fatal(got)
		}
	}
	render := func(names []string) string {
		q := make([]string, len(names))
		for i, s := range names {
			q[i] = strconv.Quote(s)
		}
		return "[" + strings.Join(q, " ") + "]"
	}
	byScore := append([]el(nil), els...)
	sort.Slice(byScore, func(i, j int) bool {
		if byScore[i].score != byScore[j].score {
			return byScore[i].score < byScore[j].score
		}
		return byScore[i].name < byScore[j].name
	})
	var want, wantDesc, alpha []string
	for _, e := range byScore {
		want = append(want, e.name)
		alpha = append(alpha, e.name)
	}
	for i := len(want) - 1; i >= 0; i-- {
		wantDesc = append(wantDesc, want[i])
	}
	sort.Strings(alpha)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"SORT", "l", "BY", "w_*"}, render(want)},
		{[]string{"SORT", "l", "BY", "w_*", "DESC"}, render(wantDesc)},
		{[]string{"SORT_RO", "l", "ALPHA"}, render(alpha)},
		{[]string{"SORT", "l", "BY", "w_*", "LIMIT", "5", "3", "GET", "#"}, render(want[5:8])},
	} {
		if got := c.Do(tc.args...); got != tc.want {
			t.Errorf("%q: got %.120s, want %.120s", tc.args, got, tc.want)
		}
	}
}
