package commands

import (
	"testing"

	"synap/engine"
	"synap/tenant"
)

func init() {
	for k, v := range streamsIsolation {
		isolationExamples[k] = v
	}
	isolationSeeders = append(isolationSeeders, streamsSeed)
	for k, v := range map[string]tenant.Need{
		"xadd": tenant.NeedWrite, "xack": tenant.NeedWrite, "xdel": tenant.NeedWrite, "xtrim": tenant.NeedWrite,
		"xreadgroup": tenant.NeedWrite, "xclaim": tenant.NeedWrite, "xautoclaim": tenant.NeedWrite, "xsetid": tenant.NeedWrite,
		"xgroup|create": tenant.NeedWrite, "xgroup|destroy": tenant.NeedWrite, "xgroup|setid": tenant.NeedWrite,
		"xgroup|createconsumer": tenant.NeedWrite, "xgroup|delconsumer": tenant.NeedWrite,
		"xlen": tenant.NeedRead, "xrange": tenant.NeedRead, "xrevrange": tenant.NeedRead, "xread": tenant.NeedRead,
		"xpending": tenant.NeedRead, "xinfo|stream": tenant.NeedRead, "xinfo|groups": tenant.NeedRead,
		"xinfo|consumers": tenant.NeedRead,
	} {
		permissionModel[k] = v
	}
	isolationOwnView["xrange x1 - +"] = func(r string) bool { return r == `[["1-1" ["f" "alice-xv1"]] ["2-1" ["f" "alice-xv2"]]]` }
	isolationOwnView["xpending x1 g1"] = func(r string) bool { return r == `[:1 "1-1" "1-1" [["alice-c" "1"]]]` }
	permsSeeders = append(permsSeeders, streamsPermsSeed)
	for k, v := range streamsPermsProbes {
		permsProbes[k] = v
	}
	permsAcknowledging = append(permsAcknowledging, "xadd", "xack", "xdel", "xtrim", "xgroup|createconsumer", "xgroup|delconsumer", "xgroup|destroy")
}

// streamsSeed gives user a stream x1 whose values name the user, with a
// group g1 whose consumer user-c holds entry 1-1.
func streamsSeed(tx *engine.Tx, user string) {
	s := engine.NewStream()
	s.Add(engine.StreamID{Ms: 1, Seq: 1}, [][]byte{[]byte("f"), []byte(user + "-xv1")})
	s.Add(engine.StreamID{Ms: 2, Seq: 1}, [][]byte{[]byte("f"), []byte(user + "-xv2")})
	g := s.CreateGroup("g1", engine.StreamID{Ms: 1, Seq: 1}, 1)
	c := s.CreateConsumer(g, user+"-c", tx.Now)
	s.AddPending(g, c, engine.StreamID{Ms: 1, Seq: 1}, tx.Now, 1)
	tx.Put([]byte("x1"), engine.NewObject(engine.KindStream, s))
}

// Each stream row in the caller's namespace: the same key and group names
// reach only the caller's own stream, and a blocked read wakes only for its
// own tenant's XADD (TestStreamsBlockingIsolation).
var streamsIsolation = map[string][][]string{
	"xadd":                  {{"xadd", "x1", "*", "f", "v"}, {"xadd", "x9", "NOMKSTREAM", "*", "f", "v"}, {"xadd", "x1", "MAXLEN", "0", "9-9", "f", "v"}},
	"xlen":                  {{"xlen", "x1"}},
	"xrange":                {{"xrange", "x1", "-", "+"}},
	"xrevrange":             {{"xrevrange", "x1", "+", "-", "COUNT", "1"}},
	"xdel":                  {{"xdel", "x1", "1-1"}},
	"xtrim":                 {{"xtrim", "x1", "MAXLEN", "0"}},
	"xread":                 {{"xread", "STREAMS", "x1", "0"}, {"xread", "BLOCK", "10", "STREAMS", "x1", "$"}},
	"xreadgroup":            {{"xreadgroup", "GROUP", "g1", "c2", "STREAMS", "x1", ">"}, {"xreadgroup", "GROUP", "g1", "c2", "BLOCK", "10", "STREAMS", "x1", ">"}},
	"xack":                  {{"xack", "x1", "g1", "1-1"}},
	"xpending":              {{"xpending", "x1", "g1"}, {"xpending", "x1", "g1", "-", "+", "10"}},
	"xclaim":                {{"xclaim", "x1", "g1", "c2", "0", "1-1"}},
	"xautoclaim":            {{"xautoclaim", "x1", "g1", "c2", "0", "0"}},
	"xsetid":                {{"xsetid", "x1", "99-0"}},
	"xgroup":                {{"xgroup"}},
	"xgroup|create":         {{"xgroup", "create", "x1", "g2", "$"}, {"xgroup", "create", "x9", "g1", "0", "MKSTREAM"}},
	"xgroup|setid":          {{"xgroup", "setid", "x1", "g1", "0"}},
	"xgroup|destroy":        {{"xgroup", "destroy", "x1", "g1"}},
	"xgroup|createconsumer": {{"xgroup", "createconsumer", "x1", "g1", "c3"}},
	"xgroup|delconsumer":    {{"xgroup", "delconsumer", "x1", "g1", "alice-c"}, {"xgroup", "delconsumer", "x1", "g1", "bob-c"}},
	"xgroup|help":           {{"xgroup", "help"}},
	"xinfo":                 {{"xinfo"}},
	"xinfo|stream":          {{"xinfo", "stream", "x1"}, {"xinfo", "stream", "x1", "FULL"}},
	"xinfo|groups":          {{"xinfo", "groups", "x1"}},
	"xinfo|consumers":       {{"xinfo", "consumers", "x1", "g1"}},
	"xinfo|help":            {{"xinfo", "help"}},
}

// streamsPermsSeed adds to every world of the permission suite a stream
// "x" with the same ids whose values are the world's secret, a group "grp"
// whose consumer (named m1 or not) holds entry 1-1.
func streamsPermsSeed(tx *engine.Tx, w permsWorld, secret, m1 string) {
	s := engine.NewStream()
	s.Add(engine.StreamID{Ms: 1, Seq: 1}, [][]byte{[]byte("f"), []byte(secret)})
	s.Add(engine.StreamID{Ms: 2, Seq: 1}, [][]byte{[]byte("f"), []byte(secret)})
	g := s.CreateGroup("grp", engine.StreamID{Ms: 1, Seq: 1}, 1)
	c := s.CreateConsumer(g, m1, tx.Now)
	s.AddPending(g, c, engine.StreamID{Ms: 1, Seq: 1}, tx.Now, 1)
	tx.Put([]byte("x"), engine.NewObject(engine.KindStream, s))
}

// How a key without read would use each stream write: the producers and
// acknowledgers answer with an id or a count; the rest are refused.
var streamsPermsProbes = map[string][][]string{
	"xadd":                  {{"xadd", "x", "99-1", "f", "v"}, {"xadd", "x", "MAXLEN", "1", "99-2", "f", "v"}},
	"xack":                  {{"xack", "x", "grp", "1-1", "2-1"}},
	"xdel":                  {{"xdel", "x", "1-1", "7-7"}},
	"xtrim":                 {{"xtrim", "x", "MAXLEN", "1"}},
	"xreadgroup":            {{"xreadgroup", "GROUP", "grp", "m1", "STREAMS", "x", ">"}, {"xreadgroup", "GROUP", "grp", "m1", "STREAMS", "x", "0"}},
	"xclaim":                {{"xclaim", "x", "grp", "m1", "0", "1-1"}},
	"xautoclaim":            {{"xautoclaim", "x", "grp", "m1", "0", "0"}},
	"xsetid":                {{"xsetid", "x", "1-1"}},
	"xgroup|create":         {{"xgroup", "create", "x", "grp2", "0"}},
	"xgroup|setid":          {{"xgroup", "setid", "x", "grp", "0"}},
	"xgroup|destroy":        {{"xgroup", "destroy", "x", "grp"}},
	"xgroup|createconsumer": {{"xgroup", "createconsumer", "x", "grp", "m1"}},
	"xgroup|delconsumer":    {{"xgroup", "delconsumer", "x", "grp", "m1"}},
}

func TestStreamsIsolationSeedAccounts(t *testing.T) {
	srv := newTestServer()
	defer srv.Close()
	isolationSeed(srv, "alice")
	if isolationNS(srv, "alice").Keys() == 0 {
		t.Fatal("nothing seeded")
	}
}
