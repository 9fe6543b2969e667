package commands

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"synap/commands/geohash"
	"synap/engine"
	"synap/resp/resptest"
	"synap/tenant"
)

// Every expected reply below is what redis-server 7.0.15 answers.

func TestGeoBasics(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania", want: ":2"},
		{cmd: "TYPE Sicily", want: "+zset"},
		{cmd: "OBJECT ENCODING Sicily", want: `"listpack"`},
		{cmd: "GEOPOS Sicily Palermo Catania nx", want: `[["13.36138933897018433" "38.11555639549629859"] ["15.08726745843887329" "37.50266842333162032"] nil-array]`},
		{cmd: "GEOPOS Sicily", want: "[]"},
		{cmd: "GEOPOS nokey a b", want: "[nil-array nil-array]"},
		{cmd: "GEODIST Sicily Palermo Catania", want: `"166274.1516"`},
		{cmd: "GEODIST Sicily Palermo Catania m", want: `"166274.1516"`},
		{cmd: "GEODIST Sicily Palermo Catania KM", want: `"166.2742"`},
		{cmd: "GEODIST Sicily Palermo Catania mi", want: `"103.3182"`},
		{cmd: "GEODIST Sicily Palermo Catania Ft", want: `"545518.8700"`},
		{cmd: "GEODIST Sicily Palermo Palermo", want: `"0.0000"`},
		{cmd: "GEODIST Sicily Palermo nx", want: "nil"},
		{cmd: "GEODIST nokey Palermo Catania", want: "nil"},
		{cmd: "GEODIST Sicily Palermo Catania yd", want: "-ERR unsupported unit provided. please use M, KM, FT, MI"},
		{cmd: "GEODIST nokey Palermo Catania yd", want: "-ERR unsupported unit provided. please use M, KM, FT, MI"},
		{cmd: "GEODIST Sicily Palermo Catania km x", want: "-ERR syntax error"},
		{cmd: "GEOHASH Sicily Palermo Catania nx", want: `["sqc8b49rny0" "sqdtr74hyu0" nil]`},
		{cmd: "GEOHASH Sicily", want: "[]"},
		{cmd: "GEOHASH nokey a", want: "[nil]"},
		{cmd: "GEOADD Sicily 13.361389 38.115556 Palermo", want: ":0"},
		{cmd: "GEOADD Sicily CH 13.361389 38.115556 Palermo", want: ":0"},
		{cmd: "GEOADD Sicily CH 13.4 38.1 Palermo", want: ":1"},
		{cmd: "GEOADD Sicily NX CH 13.5 38.1 Palermo 12.5 37.8 Marsala", want: ":1"},
		{cmd: "GEOPOS Sicily Palermo Marsala", want: `[["13.40000241994857788" "38.10000081174143105"] ["12.49999791383743286" "37.79999881948555895"]]`},
		{cmd: "GEOADD Sicily XX CH 13.361389 38.115556 Palermo 1 1 Nowhere", want: ":1"},
		{cmd: "GEOPOS Sicily Palermo Nowhere", want: `[["13.36138933897018433" "38.11555639549629859"] nil-array]`},
		{cmd: "GEOADD Sicily XX NX 1 1 a", want: "-ERR syntax error"},
		{cmd: "GEOADD Sicily nx xx 1 1 a", want: "-ERR syntax error"},
		{cmd: "GEOADD Sicily CH CH CH", want: "-ERR syntax error"},
		{cmd: "GEOADD Sicily 1 1 a 2", want: "-ERR syntax error"},
		{cmd: "GEOADD Sicily FOO 1 1 a", want: "-ERR syntax error"},
		{cmd: "GEOADD Sicily 1 1", want: "-ERR wrong number of arguments for 'geoadd' command"},
		{cmd: "GEOADD Sicily 181 1 a", want: "-ERR invalid longitude,latitude pair 181.000000,1.000000"},
		{cmd: "GEOADD Sicily -180.0000001 1 a", want: "-ERR invalid longitude,latitude pair -180.000000,1.000000"},
		{cmd: "GEOADD Sicily 1 85.05112879 a", want: "-ERR invalid longitude,latitude pair 1.000000,85.051129"},
		{cmd: "GEOADD Sicily 1 -85.06 a", want: "-ERR invalid longitude,latitude pair 1.000000,-85.060000"},
		{cmd: "GEOADD Sicily inf 1 a", want: "-ERR invalid longitude,latitude pair inf,1.000000"},
		{cmd: "GEOADD Sicily 1 -inf a", want: "-ERR invalid longitude,latitude pair 1.000000,-inf"},
		{cmd: "GEOADD Sicily 1 1e300 a", want: "-ERR invalid longitude,latitude pair 1.000000,1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160.000000"},
		{cmd: "GEOADD Sicily 1 x a", want: "-ERR value is not a valid float"},
		{cmd: "GEOADD Sicily x 1 a", want: "-ERR value is not a valid float"},
		{cmd: "GEOADD Sicily 1 nan a", want: "-ERR value is not a valid float"},
		{cmd: "GEOADD Sicily 1 1 a 200 1 b", want: "-ERR invalid longitude,latitude pair 200.000000,1.000000"},
		{cmd: "GEOPOS Sicily a", want: "[nil-array]"},
		{cmd: "GEOADD Sicily 180 85.05112878 NE -180 -85.05112878 SW 0 0 Zero", want: ":3"},
		{cmd: "GEOPOS Sicily NE SW Zero", want: `[["180" "85.0511287799999991"] ["-179.99999731779098511" "-85.05112751263942528"] ["0.00000268220901489" "0.00000126736058093"]]`},
		{cmd: "GEOHASH Sicily NE SW Zero", want: `["bp05b5048p0" "00bh0hbj200" "s0000000000"]`},
		{cmd: "GEODIST Sicily NE SW km", want: `"18919.8446"`},
		{cmd: "GEOADD nokey XX 1 1 a", want: ":0"},
		{cmd: "EXISTS nokey", want: ":0"},
		{cmd: "SET str x", want: "+OK"},
		{cmd: "GEOADD str 1 1 a", want: "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{cmd: "GEOADD str 200 1 a", want: "-ERR invalid longitude,latitude pair 200.000000,1.000000"},
		{cmd: "GEOPOS str a", want: "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{cmd: "GEOHASH str a", want: "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{cmd: "GEODIST str a b", want: "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{cmd: "GEODIST str a b yd", want: "-ERR unsupported unit provided. please use M, KM, FT, MI"},
		{cmd: "GEOSEARCH str FROMLONLAT 0 0 BYRADIUS 1 km", want: "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{cmd: "GEOSEARCHSTORE dst str FROMLONLAT 0 0 BYRADIUS 1 km", want: "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{cmd: "GEORADIUS str 0 0 1 km", want: "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{cmd: "GEORADIUSBYMEMBER str a 1 km", want: "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{cmd: "GEOSEARCHSTORE str Sicily FROMLONLAT 15 37 BYRADIUS 200 km", want: ":2"},
		{cmd: "TYPE str", want: "+zset"},
		{cmd: "GEOPOS str Palermo Catania", want: `[["13.36138933897018433" "38.11555639549629859"] ["15.08726745843887329" "37.50266842333162032"]]`},
	})
}

func TestGeoSearchCommands(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania 12.758489 38.788135 edge1 17.241510 38.788135 edge2", want: ":4"},
		{cmd: "SET str x", want: "+OK"},
		{cmd: "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC", want: `["Catania" "Palermo"]`},
		{cmd: "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km DESC WITHDIST WITHHASH WITHCOORD", want: `[["Palermo" "190.4424" :3479099956230698 ["13.36138933897018433" "38.11555639549629859"]] ["Catania" "56.4413" :3479447370796909 ["15.08726745843887329" "37.50266842333162032"]]]`},
		{cmd: "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHCOORD WITHDIST", want: `[["Palermo" "190.4424" ["13.36138933897018433" "38.11555639549629859"]] ["Catania" "56.4413" ["15.08726745843887329" "37.50266842333162032"]]]`},
		{cmd: "GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 100 mi WITHDIST", want: `[["Palermo" "0.0000"] ["edge1" "56.7939"]]`},
		{cmd: "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km ASC WITHCOORD WITHDIST WITHHASH", want: `[["Catania" "56.4413" :3479447370796909 ["15.08726745843887329" "37.50266842333162032"]] ["Palermo" "190.4424" :3479099956230698 ["13.36138933897018433" "38.11555639549629859"]] ["edge2" "279.7403" :3481342659049484 ["17.24151045083999634" "38.78813451624225195"]] ["edge1" "279.7405" :3479273021651468 ["12.7584877610206604" "38.78813451624225195"]]]`},
		{cmd: "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km ASC COUNT 1", want: `["Catania"]`},
		{cmd: "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km DESC COUNT 2", want: `["edge1" "edge2"]`},
		{cmd: "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 400 km COUNT 3", want: `["Catania" "Palermo" "edge2"]`},
		{cmd: "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 400 km COUNT 1 ANY", want: `["Palermo"]`},
		{cmd: "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 m", want: "[]"},
		{cmd: "GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 0 km WITHDIST", want: `[["Palermo" "0.0000"]]`},
		{cmd: "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 0 0 km", want: "[]"},
		{cmd: "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS inf km COUNT 1", want: `["Catania"]`},
		{cmd: "GEOSEARCH Sicily FROMMEMBER Palermo FROMMEMBER Catania BYRADIUS 1 km BYRADIUS 1 m WITHDIST", want: `[["Catania" "0.0000"]]`},
		{cmd: "GEOSEARCH Sicily FROMLONLAT 1 1 FROMLONLAT 15 37 BYRADIUS 200 km", want: `["Palermo" "Catania"]`},
		{cmd: "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT 5 COUNT 1", want: `["Catania"]`},
		{cmd: "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC DESC", want: `["Palermo" "Catania"]`},
		{cmd: "GEOSEARCH nokey FROMLONLAT 15 37 BYRADIUS 200 km", want: "[]"},
		{cmd: "GEOSEARCH nokey FROMMEMBER nx BYRADIUS 200 km", want: "[]"},
		{cmd: "GEOSEARCH nokey FROMMEMBER nx BYRADIUS x km", want: "-ERR need numeric radius"},
		{cmd: "GEOSEARCH nokey FOO BAR baz qux x", want: "-ERR syntax error"},
		{cmd: "GEOSEARCH nokey BYRADIUS 1 km WITHDIST WITHHASH", want: "-ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCH"},
		{cmd: "geosearch Sicily BYRADIUS 1 km WITHDIST WITHHASH", want: "-ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for geosearch"},
		{cmd: "GeoSearch Sicily FROMLONLAT 1 2 WITHDIST WITHHASH", want: "-ERR exactly one of BYRADIUS and BYBOX can be specified for GeoSearch"},
		{cmd: "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200", want: "-ERR syntax error"},
		{cmd: "GEOSEARCH Sicily FROMMEMBER nx BYRADIUS 200 km", want: "-ERR could not decode requested zset member"},
		{cmd: "GEOSEARCH Sicily FROMMEMBER Palermo FROMLONLAT 1 1 BYRADIUS 200 km", want: "-ERR syntax error"},
		{cmd: "GEOSEARCH Sicily FROMLONLAT 1 1 FROMMEMBER Palermo BYRADIUS 200 km", want: "-ERR syntax error"},
		{cmd: "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km BYBOX 1 1 km", want: "-ERR syntax error"},
		{cmd: "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1 km BYRADIUS 200 km", want: "-ERR syntax error"},
		{cmd: "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS -1 km", want: "-ERR radius cannot be negative"},
		{cmd: "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS x km", want: "-ERR need numeric radius"},
		{cmd: "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS nan km", want: "-ERR need numeric radius"},
		{cmd: "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 yd", want: "-ERR unsupported unit provided. please use M, KM, FT, MI"},
		{cmd: "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX x 1 km", want: "-ERR need numeric width"},
		{cmd: "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 x km", want: "-ERR need numeric height"},
		{cmd: "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX -1 1 km", want: "-ERR height or width cannot be negative"},
		{cmd: "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 -1 yd", want: "-ERR height or width cannot be negative"},
		{cmd: "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1 yd", want: "-ERR unsupported unit provided. please use M, KM, FT, MI"},
		{cmd: "GEOSEARCH Sicily FROMLONLAT x 37 BYBOX 1 1 km", want: "-ERR value is not a valid float"},
		{cmd: "GEOSEARCH Sicily FROMLONLAT 15 95 BYBOX 1 1 km", want: "-ERR invalid longitude,latitude pair 15.000000,95.000000"},
		{cmd: "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT x", want: "-ERR value is not an integer or out of range"},
		{cmd: "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT 0", want: "-ERR COUNT must be > 0"},
		{cmd: "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT -1", want: "-ERR COUNT must be > 0"},
		{cmd: "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ANY", want: "-ERR the ANY argument requires COUNT argument"},
		{cmd: "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT", want: "-ERR syntax error"},
		{cmd: "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km STORE x", want: "-ERR syntax error"},
		{cmd: "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST", want: "-ERR syntax error"},
		{cmd: "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km FROMLONLAT 1", want: "-ERR syntax error"},
		{cmd: "GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST", want: ":2"},
		{cmd: "GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km", want: ":2"},
		{cmd: "OBJECT ENCODING dst", want: `"listpack"`},
		{cmd: "GEOPOS dst Palermo Catania", want: `[["13.36138933897018433" "38.11555639549629859"] ["15.08726745843887329" "37.50266842333162032"]]`},
		{cmd: "GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHDIST", want: "-ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options"},
		{cmd: "GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km STORE x", want: "-ERR syntax error"},
		{cmd: "GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 1 m", want: ":0"},
		{cmd: "EXISTS dst", want: ":0"},
		{cmd: "SET dst x", want: "+OK"},
		{cmd: "GEOSEARCHSTORE dst nokey FROMLONLAT 15 37 BYRADIUS 1 m", want: ":0"},
		{cmd: "EXISTS dst", want: ":0"},
		{cmd: "GEOSEARCHSTORE dst nokey FROMLONLAT 15 37 BYRADIUS 1 m WITHDIST", want: "-ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options"},
		{cmd: "GEOSEARCHSTORE dst nokey FROMLONLAT 15 37", want: "-ERR wrong number of arguments for 'geosearchstore' command"},
		{cmd: "GEOSEARCHSTORE Sicily Sicily FROMMEMBER Palermo BYRADIUS 10 km", want: ":1"},
		{cmd: "GEOPOS Sicily Palermo Catania", want: `[["13.36138933897018433" "38.11555639549629859"] nil-array]`},
		{cmd: "GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania", want: ":1"},
		{cmd: "GEORADIUS Sicily 15 37 200 km WITHDIST WITHCOORD ASC", want: `[["Catania" "56.4413" ["15.08726745843887329" "37.50266842333162032"]] ["Palermo" "190.4424" ["13.36138933897018433" "38.11555639549629859"]]]`},
		{cmd: "GEORADIUS Sicily 15 37 200 km WITHHASH COUNT 1", want: `[["Catania" :3479447370796909]]`},
		{cmd: "GEORADIUS Sicily 15 37 200 km STORE dst WITHDIST", want: "-ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options"},
		{cmd: "GEORADIUS Sicily 15 37 200 km STORE dst", want: ":2"},
		{cmd: "GEOPOS dst Palermo Catania", want: `[["13.36138933897018433" "38.11555639549629859"] ["15.08726745843887329" "37.50266842333162032"]]`},
		{cmd: "GEORADIUS Sicily 15 37 200 km COUNT 1 STORE dst2 STOREDIST dst3", want: ":1"},
		{cmd: "EXISTS dst2 dst3", want: ":1"},
		{cmd: "GEORADIUS Sicily 15 37 200 km STORE", want: "-ERR syntax error"},
		{cmd: "GEORADIUS_RO Sicily 15 37 200 km STORE dst", want: "-ERR syntax error"},
		{cmd: "GEORADIUS Sicily 15 37 200 km FROMLONLAT 1 1", want: "-ERR syntax error"},
		{cmd: "GEORADIUS Sicily 15 37 200", want: "-ERR wrong number of arguments for 'georadius' command"},
		{cmd: "GEORADIUS Sicily 15 37 x km", want: "-ERR need numeric radius"},
		{cmd: "GEORADIUS Sicily 15 37 1 yd", want: "-ERR unsupported unit provided. please use M, KM, FT, MI"},
		{cmd: "GEORADIUS Sicily 200 37 1 km", want: "-ERR invalid longitude,latitude pair 200.000000,37.000000"},
		{cmd: "GEORADIUS nokey 200 37 1 km", want: "-ERR invalid longitude,latitude pair 200.000000,37.000000"},
		{cmd: "GEORADIUS nokey 15 37 1 km", want: "[]"},
		{cmd: "GEORADIUS nokey 15 37 1 km STORE dst", want: ":0"},
		{cmd: "EXISTS dst", want: ":0"},
		{cmd: "GEORADIUSBYMEMBER Sicily Palermo 200 km WITHDIST", want: `[["Palermo" "0.0000"] ["Catania" "166.2742"]]`},
		{cmd: "GEORADIUSBYMEMBER Sicily nx 200 km WITHDIST", want: "-ERR could not decode requested zset member"},
		{cmd: "GEORADIUSBYMEMBER Sicily nx x km WITHDIST", want: "-ERR could not decode requested zset member"},
		{cmd: "GEORADIUSBYMEMBER nokey nx x km WITHDIST", want: "[]"},
		{cmd: "GEORADIUSBYMEMBER nokey nx 200 km FOO", want: "-ERR syntax error"},
		{cmd: "GEORADIUSBYMEMBER_RO Sicily Palermo 200 km WITHDIST COUNT 1 DESC", want: `[["Catania" "166.2742"]]`},
		{cmd: "GEORADIUSBYMEMBER_RO Sicily Palermo 200 km STOREDIST x", want: "-ERR syntax error"},
		{cmd: "GEORADIUSBYMEMBER Sicily Palermo 200 km STOREDIST dst4", want: ":2"},
		{cmd: "GEODIST dst4 Palermo Catania", want: `"0.8750"`},
		{cmd: "GEORADIUS_RO Sicily 15 37 200 km WITHDIST", want: `[["Palermo" "190.4424"] ["Catania" "56.4413"]]`},
	})
}

func TestGeoRESP3(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	if got := c.Do("HELLO", "3"); !strings.HasPrefix(got, "{") {
		t.Fatalf("HELLO 3: %s", got)
	}
	runSteps(t, c, []step{
		{cmd: "GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania", want: ":2"},
		{cmd: "GEOPOS Sicily Palermo nx", want: "[[,13.36138933897018433 ,38.11555639549629859] null]"},
		{cmd: "GEOHASH Sicily Palermo nx", want: `["sqc8b49rny0" null]`},
		{cmd: "GEODIST Sicily Palermo Catania", want: `"166274.1516"`},
		{cmd: "GEODIST Sicily Palermo nx", want: "null"},
		{cmd: "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC WITHDIST WITHHASH WITHCOORD", want: `[["Catania" "56.4413" :3479447370796909 [,15.08726745843887329 ,37.50266842333162032]] ["Palermo" "190.4424" :3479099956230698 [,13.36138933897018433 ,38.11555639549629859]]]`},
		{cmd: "GEORADIUS Sicily 15 37 200 km WITHCOORD", want: `[["Palermo" [,13.36138933897018433 ,38.11555639549629859]] ["Catania" [,15.08726745843887329 ,37.50266842333162032]]]`},
		{cmd: "GEOSEARCH nokey FROMLONLAT 15 37 BYRADIUS 200 km", want: "[]"},
	})
}

// geoStored reads a sorted set straight from the engine: "member score"
// pairs in order, and its encoding.
func geoStored(t *testing.T, srv *Server, key string) (pairs []string, enc string) {
	t.Helper()
	tx := srv.Eng.NewTx()
	tx.Begin(srv.DBs[0], [][]byte{[]byte(key)}, false)
	defer tx.End()
	en := tx.Peek([]byte(key))
	if en == nil {
		return nil, ""
	}
	z, ok := en.Obj().(*engine.ZSet)
	if en.Kind != engine.KindZSet || !ok {
		t.Fatalf("%s holds a %s", key, en.Kind)
	}
	z.Each(func(m string, s float64) bool {
		pairs = append(pairs, m+" "+strconv.FormatFloat(s, 'g', 17, 64))
		return true
	})
	return pairs, z.Encoding()
}

// STORE keeps the geohash scores; STOREDIST scores by distance in the
// query's unit, at full precision (what ZRANGE WITHSCORES shows on Redis).
func TestGeoStoredScores(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania", want: ":2"},
		{cmd: "SET dst x", want: "+OK"},
		{cmd: "EXPIRE dst 100", want: ":1"},
		{cmd: "GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST", want: ":2"},
		{cmd: "TTL dst", want: ":-1"},
		{cmd: "GEORADIUS Sicily 15 37 200 km STORE s1", want: ":2"},
		{cmd: "GEORADIUSBYMEMBER Sicily Palermo 200 mi DESC COUNT 1 STOREDIST s2", want: ":1"},
	})
	for _, tc := range []struct {
		key   string
		pairs []string
	}{
		{"dst", []string{"Catania 56.441257870158204", "Palermo 190.44242984775784"}},
		{"s1", []string{"Palermo 3479099956230698", "Catania 3479447370796909"}},
		{"s2", []string{"Catania 103.31822459492733"}},
	} {
		pairs, enc := geoStored(t, srv, tc.key)
		if !slices.Equal(pairs, tc.pairs) || enc != "listpack" {
			t.Errorf("%s holds %q (%s), want %q (listpack)", tc.key, pairs, enc, tc.pairs)
		}
	}
	// A result with a member longer than 64 bytes is stored as a skiplist.
	long := strings.Repeat("m", 65)
	c.Do("GEOADD", "Sicily", "15", "37", long)
	if got := c.Do("GEOSEARCHSTORE", "big", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km"); got != ":1" {
		t.Fatalf("GEOSEARCHSTORE: %s", got)
	}
	if _, enc := geoStored(t, srv, "big"); enc != "skiplist" {
		t.Errorf("encoding of a stored result with a long member: %s", enc)
	}
}

// Redis orders equal distances as its sort routines leave them: a stable
// sort for a full result, a partial quicksort under COUNT. Both are followed
// step by step, so this holds a tie-heavy case to Redis's exact order.
func TestGeoTiesOrder(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	for i := 0; i < 60; i++ {
		lon := []string{"10.1", "10.2", "10.3"}[i%3]
		c.Do("GEOADD", "t", lon, "40", "m"+strconv.Itoa(i))
	}
	runSteps(t, c, []step{
		{cmd: "GEOSEARCH t FROMLONLAT 10.2 40 BYRADIUS 100 km COUNT 7 ASC", want: `["m7" "m10" "m13" "m16" "m19" "m22" "m25"]`},
		{cmd: "GEOSEARCH t FROMLONLAT 10.2 40 BYRADIUS 100 km COUNT 23 DESC", want: `["m11" "m59" "m56" "m53" "m50" "m5" "m47" "m44" "m41" "m38" "m35" "m32" "m29" "m26" "m23" "m20" "m2" "m17" "m14" "m8" "m48" "m12" "m15"]`},
		{cmd: "GEOSEARCH t FROMLONLAT 10.1 40 BYRADIUS 100 km COUNT 3", want: `["m9" "m15" "m18"]`},
		{cmd: "GEOSEARCH t FROMLONLAT 10.1 40 BYRADIUS 100 km COUNT 5 ANY", want: `["m0" "m12" "m15" "m18" "m21"]`},
		{cmd: "GEOSEARCH t FROMLONLAT 10.2 40 BYRADIUS 100 km ASC", want: `["m1" "m10" "m13" "m16" "m19" "m22" "m25" "m28" "m31" "m34" "m37" "m4" "m40" "m43" "m46" "m49" "m52" "m55" "m58" "m7" "m0" "m12" "m15" "m18" "m21" "m24" "m27" "m3" "m30" "m33" "m36" "m39" "m42" "m45" "m48" "m51" "m54" "m57" "m6" "m9" "m11" "m14" "m17" "m2" "m20" "m23" "m26" "m29" "m32" "m35" "m38" "m41" "m44" "m47" "m5" "m50" "m53" "m56" "m59" "m8"]`},
	})
}

// geoRandomQueries builds a random workload: clustered points (with exact
// duplicates, so distances tie), then searches of every shape, unit and
// option, near the clusters, across the antimeridian and near the poles.
func geoRandomQueries(rng *rand.Rand) [][]string {
	var out [][]string
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	clamp := func(v, lo, hi float64) float64 { return math.Min(math.Max(v, lo), hi) }
	centers := [][2]float64{{0, 0}, {179.9, 0}, {-179.9, 10}, {10, 84.9}, {10, -84.9}}
	for i := 0; i < 5; i++ {
		centers = append(centers, [2]float64{rng.Float64()*360 - 180, rng.Float64()*170 - 85})
	}
	var members []string
	for _, c := range centers {
		spread := []float64{0.01, 0.1, 1, 5, 30}[rng.IntN(5)]
		for k := 20 + rng.IntN(60); k > 0; k-- {
			lon := f(clamp(c[0]+rng.NormFloat64()*spread, geohash.LonMin, geohash.LonMax))
			lat := f(clamp(c[1]+rng.NormFloat64()*spread, geohash.LatMin, geohash.LatMax))
			for d := rng.IntN(4); d >= 0; d-- {
				m := "m" + strconv.Itoa(len(members))
				members = append(members, m)
				out = append(out, []string{"GEOADD", "g", lon, lat, m})
			}
		}
	}
	units := []struct {
		name string
		conv float64
	}{{"m", 1}, {"km", 1000}, {"mi", 1609.34}, {"ft", 0.3048}}
	for q := 0; q < 300; q++ {
		c := centers[rng.IntN(len(centers))]
		lon := f(clamp(c[0]+rng.NormFloat64(), geohash.LonMin, geohash.LonMax))
		lat := f(clamp(c[1]+rng.NormFloat64(), -85, 85))
		u := units[rng.IntN(len(units))]
		size := func() string { return strconv.FormatFloat(math.Pow(10, 1+rng.Float64()*6.3)/u.conv, 'g', 6, 64) }
		var opts []string
		switch rng.IntN(3) {
		case 0:
			opts = append(opts, "ASC")
		case 1:
			opts = append(opts, "DESC")
		}
		if rng.IntN(2) == 0 {
			opts = append(opts, "COUNT", strconv.Itoa(1+rng.IntN(40)))
			if rng.IntN(3) == 0 {
				opts = append(opts, "ANY")
			}
		}
		var with []string
		for _, w := range []string{"WITHDIST", "WITHHASH", "WITHCOORD"} {
			if rng.IntN(3) == 0 {
				with = append(with, w)
			}
		}
		from := []string{"FROMLONLAT", lon, lat}
		if rng.IntN(3) == 0 {
			from = []string{"FROMMEMBER", members[rng.IntN(len(members))]}
		}
		by := []string{"BYRADIUS", size(), u.name}
		if rng.IntN(2) == 0 {
			by = []string{"BYBOX", size(), size(), u.name}
		}
		search := append(append(append([]string{"GEOSEARCH", "g"}, from...), by...), opts...)
		out = append(out, append(search, with...))
		switch rng.IntN(6) {
		case 0:
			store := append(append(append([]string{"GEOSEARCHSTORE", "dst", "g"}, from...), by...), opts...)
			out = append(out, append(store, "STOREDIST"), []string{"GEOSEARCH", "dst", "FROMLONLAT", "0", "0", "BYRADIUS", "inf", "m", "WITHHASH"})
		case 1:
			out = append(out, append(append([]string{"GEORADIUS", "g", lon, lat, by[1], u.name}, opts...), with...))
		case 2:
			out = append(out, append(append([]string{"GEORADIUSBYMEMBER_RO", "g", members[rng.IntN(len(members))], by[1], u.name}, opts...), with...))
		case 3:
			a, b := members[rng.IntN(len(members))], members[rng.IntN(len(members))]
			out = append(out, []string{"GEODIST", "g", a, b, u.name}, []string{"GEOHASH", "g", a, b}, []string{"GEOPOS", "g", a, b})
		}
	}
	return out
}

// Random workloads give exactly the replies redis-server gives.
func TestGeoSearchMatchesRedis(t *testing.T) {
	r := resptest.StartRedis(t)
	srv := startServer(t)
	s := dial(t, srv)
	for seed := uint64(1); seed <= 4; seed++ {
		r.Do("FLUSHALL")
		s.Do("FLUSHALL")
		bad := 0
		for _, args := range geoRandomQueries(rand.New(rand.NewPCG(seed, 7106))) {
			want := r.Do(args...)
			if got := s.Do(args...); got != want && bad < 5 {
				bad++
				t.Errorf("seed %d %q:\nredis %.600s\nsynap %.600s", seed, args, want, got)
			}
		}
	}
}

func TestGeoPartialSortPutsTheRangeInOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for round := 0; round < 300; round++ {
		n := 1 + rng.IntN(120)
		hits := make([]geoHit, n)
		for i := range hits {
			hits[i] = geoHit{member: strconv.Itoa(i), dist: float64(rng.IntN(1 + rng.IntN(30)))}
		}
		want := slices.Clone(hits)
		slices.SortStableFunc(want, func(a, b geoHit) int { return int(a.dist - b.dist) })
		k := 1 + rng.IntN(n)
		geoPartialSort(hits, 0, k-1, func(a, b *geoHit) int { return int(a.dist - b.dist) })
		for i := 0; i < k; i++ {
			if hits[i].dist != want[i].dist {
				t.Fatalf("n=%d k=%d: position %d holds %v, want %v", n, k, i, hits[i].dist, want[i].dist)
			}
		}
		got := make([]string, n)
		for i := range hits {
			got[i] = hits[i].member
		}
		slices.Sort(got)
		if len(slices.Compact(got)) != n {
			t.Fatalf("n=%d k=%d: members lost or duplicated", n, k)
		}
	}
}

// Storage accounting stays exact through every geo write.
func TestGeoAccounting(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	rng := rand.New(rand.NewPCG(9, 9))
	key := func() string { return "g" + strconv.Itoa(rng.IntN(4)) }
	member := func() string { return strings.Repeat("x", rng.IntN(80)) + strconv.Itoa(rng.IntN(30)) }
	coord := func() []string {
		return []string{strconv.FormatFloat(rng.Float64()*20, 'f', 3, 64), strconv.FormatFloat(rng.Float64()*20, 'f', 3, 64)}
	}
	gens := []func() []string{
		func() []string { return append(append([]string{"GEOADD", key()}, coord()...), member()) },
		func() []string { return append(append([]string{"GEOADD", key(), "XX", "CH"}, coord()...), member()) },
		func() []string { return append(append([]string{"GEOADD", key(), "NX"}, coord()...), member()) },
		func() []string {
			return append(append([]string{"GEOSEARCHSTORE", key(), key(), "FROMLONLAT"}, coord()...), "BYRADIUS", strconv.Itoa(rng.IntN(2000)), "km", "STOREDIST")
		},
		func() []string {
			return append(append([]string{"GEORADIUS", key()}, coord()...), strconv.Itoa(rng.IntN(2000)), "km", "STORE", key())
		},
		func() []string { return []string{"DEL", key()} },
	}
	for step := 0; step < 1500; step++ {
		args := gens[rng.IntN(len(gens))]()
		if reply := c.Do(args...); strings.HasPrefix(reply, "ERROR:") {
			t.Fatalf("step %d %q: %s", step, args, reply)
		}
		keys, bytes, gotKeys, gotBytes := recount(srv, srv.DBs[0])
		if gotBytes != bytes || gotKeys != keys {
			t.Fatalf("step %d after %q: tracks %d keys %d bytes, recount %d keys %d bytes", step, args, gotKeys, gotBytes, keys, bytes)
		}
	}
}

// The table rows say what redis-server's COMMAND INFO says: arity, flags,
// key positions, ACL categories.
func TestGeoCommandInfoMatchesRedis(t *testing.T) {
	r := resptest.StartRedis(t)
	srv := startServer(t)
	s := dial(t, srv)
	for _, name := range []string{"geoadd", "geopos", "geodist", "geohash", "geosearch", "geosearchstore",
		"georadius", "georadiusbymember", "georadius_ro", "georadiusbymember_ro"} {
		// The first seven fields: name, arity, flags, first, last, step, ACL.
		cut := func(reply string) string {
			i := strings.Index(reply, "[+@")
			if i < 0 {
				return reply
			}
			return reply[:i+strings.IndexByte(reply[i:], ']')+1]
		}
		want, got := r.Do("COMMAND", "INFO", name), s.Do("COMMAND", "INFO", name)
		if cut(got) != cut(want) {
			t.Errorf("COMMAND INFO %s:\nredis %s\nsynap %s", name, want, got)
		}
	}
}

// geoIsolation names only the caller's own keys and members: "geo1" holds
// the caller's points (see the seeder below), "geo2" and "geo9" are free.
var geoIsolation = map[string][][]string{
	"geoadd":  {{"geoadd", "geo1", "13.5", "38.1", "alice-new"}, {"geoadd", "geo9", "XX", "CH", "1", "1", "alice-x"}},
	"geopos":  {{"geopos", "geo1", "alice-palermo", "alice-catania", "nx"}},
	"geodist": {{"geodist", "geo1", "alice-palermo", "alice-catania", "km"}},
	"geohash": {{"geohash", "geo1", "alice-palermo", "nx"}},
	"geosearch": {
		{"geosearch", "geo1", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "WITHCOORD", "WITHDIST", "WITHHASH"},
		{"geosearch", "geo1", "FROMMEMBER", "alice-palermo", "BYBOX", "400", "400", "km", "COUNT", "1"},
	},
	"geosearchstore": {
		{"geosearchstore", "geo2", "geo1", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STOREDIST"},
		{"geosearchstore", "geo1", "geo1", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"},
	},
	"georadius": {
		{"georadius", "geo1", "15", "37", "200", "km", "WITHDIST"},
		{"georadius", "geo1", "15", "37", "200", "km", "STORE", "geo2"},
	},
	"georadiusbymember": {
		{"georadiusbymember", "geo1", "alice-palermo", "200", "km", "WITHCOORD"},
		{"georadiusbymember", "geo1", "alice-palermo", "200", "km", "STOREDIST", "geo2"},
	},
	"georadius_ro":         {{"georadius_ro", "geo1", "15", "37", "200", "km", "ASC"}},
	"georadiusbymember_ro": {{"georadiusbymember_ro", "geo1", "alice-catania", "200", "km", "COUNT", "1"}},
}

func init() {
	for k, v := range geoIsolation {
		isolationExamples[k] = v
	}
	isolationSeeders = append(isolationSeeders, func(tx *engine.Tx, user string) {
		z := engine.NewZSet(0, 0)
		z.Set([]byte(user+"-palermo"), geohash.Score(13.361389, 38.115556))
		z.Set([]byte(user+"-catania"), geohash.Score(15.087269, 37.502669))
		tx.Put([]byte("geo1"), engine.NewObject(engine.KindZSet, z))
	})
	permissionModel["geoadd"] = tenant.NeedWrite
	permissionModel["geosearchstore"] = tenant.NeedWrite
	permissionModel["geopos"] = tenant.NeedRead
	permissionModel["geodist"] = tenant.NeedRead
	permissionModel["geosearch"] = tenant.NeedRead
}

// BenchmarkGeoFind measures a search over 200,000 points that scans about
// 20,000 of them.
func BenchmarkGeoFind(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	z := engine.NewZSet(0, 0)
	for i := 0; i < 200000; i++ {
		z.Set([]byte("p"+strconv.Itoa(i)), geohash.Score(rng.Float64()*20-10, 40+rng.Float64()*10))
	}
	s := geohash.Shape{Lon: 0, Lat: 45, Radius: 200, Conv: 1000}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		geoFind(z, &s, 0)
	}
}

// Writes that change nothing (an existing point re-added, NX on a member,
// XX on a missing one) do not break a WATCH; writes that change something
// do, as in Redis. Steps prefixed "B: " run on a second connection.
func TestGeoWatch(t *testing.T) {
	srv := startServer(t)
	a, b := dial(t, srv), dial(t, srv)
	for _, s := range []step{
		{cmd: "GEOADD k 1 1 a", want: ":1"},
		{cmd: "WATCH k", want: "+OK"},
		{cmd: "B: GEOADD k 1 1 a", want: ":0"},
		{cmd: "B: GEOADD k NX 2 2 a", want: ":0"},
		{cmd: "B: GEOADD k XX 1 1 b", want: ":0"},
		{cmd: "B: GEOSEARCH k FROMLONLAT 1 1 BYRADIUS 1 km", want: `["a"]`},
		{cmd: "MULTI", want: "+OK"},
		{cmd: "GEOPOS k a", want: "+QUEUED"},
		{cmd: "EXEC", want: `[[["0.99999994039535522" "0.99999945914297683"]]]`},
		{cmd: "WATCH k", want: "+OK"},
		{cmd: "B: GEOADD k XX 2 2 a", want: ":0"},
		{cmd: "MULTI", want: "+OK"},
		{cmd: "GEOPOS k a", want: "+QUEUED"},
		{cmd: "EXEC", want: "nil-array"},
		{cmd: "WATCH dst", want: "+OK"},
		{cmd: "B: GEOSEARCHSTORE dst k FROMLONLAT 1 1 BYRADIUS 1 km", want: ":0"},
		{cmd: "MULTI", want: "+OK"},
		{cmd: "GEOPOS k a", want: "+QUEUED"},
		{cmd: "EXEC", want: `[[["2.00000256299972534" "2.0000001856465488"]]]`},
		{cmd: "B: SET dst x", want: "+OK"},
		{cmd: "WATCH dst", want: "+OK"},
		{cmd: "B: GEOSEARCHSTORE dst k FROMLONLAT 100 1 BYRADIUS 1 km", want: ":0"},
		{cmd: "MULTI", want: "+OK"},
		{cmd: "GEOPOS k a", want: "+QUEUED"},
		{cmd: "EXEC", want: "nil-array"},
		{cmd: "WATCH k", want: "+OK"},
		{cmd: "B: GEORADIUS k 1 1 1 km STORE k2", want: ":0"},
		{cmd: "MULTI", want: "+OK"},
		{cmd: "GEOPOS k a", want: "+QUEUED"},
		{cmd: "EXEC", want: `[[["2.00000256299972534" "2.0000001856465488"]]]`},
	} {
		c, cmd := a, s.cmd
		if rest, ok := strings.CutPrefix(cmd, "B: "); ok {
			c, cmd = b, rest
		}
		if got := c.Do(strings.Split(cmd, " ")...); got != s.want {
			t.Errorf("%s: got %s, want %s", s.cmd, got, s.want)
		}
	}
}
