package compat

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"
)

const (
	errGeoMember = "ERR could not decode requested zset member"
	errGeoUnit   = "ERR unsupported unit provided. please use M, KM, FT, MI"
)

// geoSicily adds the two points of Redis's documentation examples.
func geoSicily(ctx context.Context, t *testing.T, rdb *redis.Client) {
	t.Helper()
	setup(t, rdb.GeoAdd(ctx, "Sicily",
		&redis.GeoLocation{Name: "Palermo", Longitude: 13.361389, Latitude: 38.115556},
		&redis.GeoLocation{Name: "Catania", Longitude: 15.087269, Latitude: 37.502669}))
}

// The positions of the two points as Redis reports them: the centers of
// their geohash cells.
var (
	geoPalermo = redis.GeoLocation{Name: "Palermo", Longitude: 13.36138933897018433, Latitude: 38.11555639549629859}
	geoCatania = redis.GeoLocation{Name: "Catania", Longitude: 15.08726745843887329, Latitude: 37.50266842333162032}
)

var geoCases = []testCase{
	{name: "geoadd_pos_dist_hash", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.GeoAdd(ctx, "Sicily",
			&redis.GeoLocation{Name: "Palermo", Longitude: 13.361389, Latitude: 38.115556},
			&redis.GeoLocation{Name: "Catania", Longitude: 15.087269, Latitude: 37.502669}), int64(2))
		want(t, rdb.Type(ctx, "Sicily"), "zset")
		want(t, rdb.GeoPos(ctx, "Sicily", "Palermo", "nowhere", "Catania"), []*redis.GeoPos{
			{Longitude: geoPalermo.Longitude, Latitude: geoPalermo.Latitude}, nil,
			{Longitude: geoCatania.Longitude, Latitude: geoCatania.Latitude}})
		want(t, rdb.GeoPos(ctx, "missing", "a"), []*redis.GeoPos{nil})
		want(t, rdb.GeoDist(ctx, "Sicily", "Palermo", "Catania", "km"), 166.2742)
		want(t, rdb.GeoDist(ctx, "Sicily", "Palermo", "Catania", "m"), 166274.1516)
		want(t, rdb.GeoDist(ctx, "Sicily", "Palermo", "Catania", "mi"), 103.3182)
		want(t, rdb.GeoDist(ctx, "Sicily", "Palermo", "Catania", "ft"), 545518.87)
		want(t, rdb.Do(ctx, "GEODIST", "Sicily", "Palermo", "Catania"), any("166274.1516"))
		want(t, rdb.Do(ctx, "GEODIST", "Sicily", "Palermo", "Palermo", "KM"), any("0.0000"))
		wantNil(t, rdb.GeoDist(ctx, "Sicily", "Palermo", "nowhere", "km"))
		wantNil(t, rdb.GeoDist(ctx, "missing", "Palermo", "Catania", "km"))
		want(t, rdb.GeoHash(ctx, "Sicily", "Palermo", "Catania"), []string{"sqc8b49rny0", "sqdtr74hyu0"})
		want(t, rdb.Do(ctx, "GEOHASH", "Sicily", "Palermo", "nowhere"), any([]interface{}{"sqc8b49rny0", nil}))

		// The options of ZADD that GEOADD takes: NX, XX, CH.
		want(t, rdb.Do(ctx, "GEOADD", "Sicily", "13.361389", "38.115556", "Palermo"), any(int64(0)))
		want(t, rdb.Do(ctx, "GEOADD", "Sicily", "CH", "13.4", "38.1", "Palermo"), any(int64(1)))
		want(t, rdb.Do(ctx, "GEOADD", "Sicily", "NX", "CH", "13.5", "38.1", "Palermo", "12.5", "37.8", "Marsala"), any(int64(1)))
		want(t, rdb.Do(ctx, "GEOADD", "Sicily", "XX", "CH", "13.361389", "38.115556", "Palermo", "1", "1", "Nowhere"), any(int64(1)))
		want(t, rdb.GeoPos(ctx, "Sicily", "Palermo", "Marsala", "Nowhere"), []*redis.GeoPos{
			{Longitude: geoPalermo.Longitude, Latitude: geoPalermo.Latitude},
			{Longitude: 12.49999791383743286, Latitude: 37.79999881948555895}, nil})
		want(t, rdb.Do(ctx, "GEOADD", "fresh", "XX", "1", "1", "a"), any(int64(0)))
		want(t, rdb.Exists(ctx, "fresh"), int64(0))

		// The edges of what a geohash holds.
		want(t, rdb.Do(ctx, "GEOADD", "edges", "180", "85.05112878", "NE", "-180", "-85.05112878", "SW"), any(int64(2)))
		want(t, rdb.GeoHash(ctx, "edges", "NE", "SW"), []string{"bp05b5048p0", "00bh0hbj200"})
		want(t, rdb.GeoPos(ctx, "edges", "NE", "SW"), []*redis.GeoPos{
			{Longitude: 180, Latitude: 85.0511287799999991},
			{Longitude: -179.99999731779098511, Latitude: -85.05112751263942528}})
		want(t, rdb.GeoDist(ctx, "edges", "NE", "SW", "km"), 18919.8446)
	}},
	{name: "geo_errors", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		geoSicily(ctx, t, rdb)
		wantErr(t, rdb.GeoAdd(ctx, "Sicily", &redis.GeoLocation{Name: "x", Longitude: 181, Latitude: 1}),
			"ERR invalid longitude,latitude pair 181.000000,1.000000")
		wantErr(t, rdb.Do(ctx, "GEOADD", "Sicily", "1", "85.05112879", "x"), "ERR invalid longitude,latitude pair 1.000000,85.051129")
		wantErr(t, rdb.Do(ctx, "GEOADD", "Sicily", "inf", "1", "x"), "ERR invalid longitude,latitude pair inf,1.000000")
		wantErr(t, rdb.Do(ctx, "GEOADD", "Sicily", "1", "nan", "x"), errNotFloat)
		wantErr(t, rdb.Do(ctx, "GEOADD", "Sicily", "x", "1", "a"), errNotFloat)
		wantErr(t, rdb.Do(ctx, "GEOADD", "Sicily", "NX", "XX", "1", "1", "a"), errSyntax)
		wantErr(t, rdb.Do(ctx, "GEOADD", "Sicily", "1", "1", "a", "2"), errSyntax)
		wantErr(t, rdb.Do(ctx, "GEOADD", "Sicily", "CH", "CH", "CH"), errSyntax)
		wantErr(t, rdb.Do(ctx, "GEOADD", "Sicily", "1", "1"), errArity("geoadd"))
		// A rejected GEOADD adds none of its points.
		wantErr(t, rdb.Do(ctx, "GEOADD", "Sicily", "1", "1", "a", "200", "1", "b"), "ERR invalid longitude,latitude pair 200.000000,1.000000")
		want(t, rdb.GeoPos(ctx, "Sicily", "a"), []*redis.GeoPos{nil})

		wantErr(t, rdb.GeoDist(ctx, "Sicily", "Palermo", "Catania", "yd"), errGeoUnit)
		wantErr(t, rdb.Do(ctx, "GEODIST", "Sicily", "Palermo", "Catania", "km", "x"), errSyntax)
		wantErr(t, rdb.Do(ctx, "GEODIST", "Sicily", "Palermo"), errArity("geodist"))

		setup(t, rdb.Set(ctx, "str", "x", 0))
		wantErr(t, rdb.GeoAdd(ctx, "str", &redis.GeoLocation{Name: "a", Longitude: 1, Latitude: 1}), errWrongType)
		wantErr(t, rdb.GeoPos(ctx, "str", "a"), errWrongType)
		wantErr(t, rdb.GeoHash(ctx, "str", "a"), errWrongType)
		wantErr(t, rdb.GeoDist(ctx, "str", "a", "b", "km"), errWrongType)
		wantErr(t, rdb.GeoSearch(ctx, "str", &redis.GeoSearchQuery{Longitude: 1, Latitude: 1, Radius: 1}), errWrongType)
		wantErr(t, rdb.GeoRadius(ctx, "str", 1, 1, &redis.GeoRadiusQuery{Radius: 1}), errWrongType)

		// Search options, checked in Redis's order.
		for _, c := range []struct {
			args []interface{}
			err  string
		}{
			{[]interface{}{"GEOSEARCH", "Sicily", "FROMMEMBER", "nowhere", "BYRADIUS", "1", "km"}, errGeoMember},
			{[]interface{}{"GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "-1", "km"}, "ERR radius cannot be negative"},
			{[]interface{}{"GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "x", "km"}, "ERR need numeric radius"},
			{[]interface{}{"GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "yd"}, errGeoUnit},
			{[]interface{}{"GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "x", "1", "km"}, "ERR need numeric width"},
			{[]interface{}{"GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "1", "x", "km"}, "ERR need numeric height"},
			{[]interface{}{"GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "1", "-1", "km"}, "ERR height or width cannot be negative"},
			{[]interface{}{"GEOSEARCH", "Sicily", "FROMLONLAT", "15", "95", "BYRADIUS", "1", "km"}, "ERR invalid longitude,latitude pair 15.000000,95.000000"},
			{[]interface{}{"GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km", "COUNT", "0"}, "ERR COUNT must be > 0"},
			{[]interface{}{"GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km", "COUNT", "x"}, errNotInt},
			{[]interface{}{"GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km", "ANY"}, "ERR the ANY argument requires COUNT argument"},
			{[]interface{}{"GEOSEARCH", "Sicily", "BYRADIUS", "1", "km", "WITHDIST", "WITHHASH"}, "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCH"},
			{[]interface{}{"geosearch", "Sicily", "FROMLONLAT", "15", "37", "WITHDIST", "ASC"}, "ERR exactly one of BYRADIUS and BYBOX can be specified for geosearch"},
			{[]interface{}{"GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km"}, errSyntax},
			{[]interface{}{"GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km", "BYBOX", "1", "1", "km"}, errSyntax},
			{[]interface{}{"GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km", "STORE", "x"}, errSyntax},
			{[]interface{}{"GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km", "WITHDIST"}, "ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options"},
			{[]interface{}{"GEORADIUS", "Sicily", "15", "37", "1", "km", "WITHHASH", "STORE", "d"}, "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options"},
			{[]interface{}{"GEORADIUS_RO", "Sicily", "15", "37", "1", "km", "STORE", "d"}, errSyntax},
			{[]interface{}{"GEORADIUSBYMEMBER", "Sicily", "nowhere", "1", "km"}, errGeoMember},
			{[]interface{}{"GEORADIUS", "Sicily", "15", "37", "1"}, errArity("georadius")},
		} {
			wantErr(t, rdb.Do(ctx, c.args...), c.err)
		}
		// A missing set answers an empty result once the options parse.
		want(t, rdb.Do(ctx, "GEOSEARCH", "missing", "FROMMEMBER", "nowhere", "BYRADIUS", "1", "km"), any([]interface{}{}))
		want(t, rdb.Do(ctx, "GEORADIUSBYMEMBER", "missing", "nowhere", "x", "km"), any([]interface{}{}))
		wantErr(t, rdb.Do(ctx, "GEOSEARCH", "missing", "FROMMEMBER", "nowhere", "BYRADIUS", "x", "km"), "ERR need numeric radius")
	}},
	{name: "geosearch", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		geoSicily(ctx, t, rdb)
		setup(t, rdb.GeoAdd(ctx, "Sicily",
			&redis.GeoLocation{Name: "edge1", Longitude: 12.758489, Latitude: 38.788135},
			&redis.GeoLocation{Name: "edge2", Longitude: 17.241510, Latitude: 38.788135}))
		want(t, rdb.GeoSearch(ctx, "Sicily", &redis.GeoSearchQuery{Longitude: 15, Latitude: 37, Radius: 200, RadiusUnit: "km", Sort: "ASC"}),
			[]string{"Catania", "Palermo"})
		want(t, rdb.GeoSearch(ctx, "Sicily", &redis.GeoSearchQuery{Longitude: 15, Latitude: 37, Radius: 200, RadiusUnit: "km"}),
			[]string{"Palermo", "Catania"})
		want(t, rdb.GeoSearch(ctx, "Sicily", &redis.GeoSearchQuery{Longitude: 15, Latitude: 37, BoxWidth: 400, BoxHeight: 400, BoxUnit: "km", Sort: "DESC"}),
			[]string{"edge1", "edge2", "Palermo", "Catania"})
		want(t, rdb.GeoSearch(ctx, "Sicily", &redis.GeoSearchQuery{Longitude: 15, Latitude: 37, Radius: 400, RadiusUnit: "km", Count: 3}),
			[]string{"Catania", "Palermo", "edge2"})
		want(t, rdb.GeoSearch(ctx, "Sicily", &redis.GeoSearchQuery{Longitude: 15, Latitude: 37, Radius: 400, RadiusUnit: "km", Count: 1, CountAny: true}),
			[]string{"Palermo"})
		want(t, rdb.GeoSearch(ctx, "Sicily", &redis.GeoSearchQuery{Member: "Palermo", Radius: 100, RadiusUnit: "mi", Sort: "ASC"}),
			[]string{"Palermo", "edge1"})
		want(t, rdb.GeoSearch(ctx, "Sicily", &redis.GeoSearchQuery{Longitude: 15, Latitude: 37, Radius: 1, RadiusUnit: "m"}), []string{})
		want(t, rdb.GeoSearch(ctx, "missing", &redis.GeoSearchQuery{Longitude: 15, Latitude: 37, Radius: 1, RadiusUnit: "m"}), []string{})

		want(t, rdb.GeoSearchLocation(ctx, "Sicily", &redis.GeoSearchLocationQuery{
			GeoSearchQuery: redis.GeoSearchQuery{Longitude: 15, Latitude: 37, BoxWidth: 400, BoxHeight: 400, BoxUnit: "km", Sort: "ASC"},
			WithCoord:      true, WithDist: true, WithHash: true,
		}), []redis.GeoLocation{
			{Name: "Catania", Longitude: geoCatania.Longitude, Latitude: geoCatania.Latitude, Dist: 56.4413, GeoHash: 3479447370796909},
			{Name: "Palermo", Longitude: geoPalermo.Longitude, Latitude: geoPalermo.Latitude, Dist: 190.4424, GeoHash: 3479099956230698},
			{Name: "edge2", Longitude: 17.24151045083999634, Latitude: 38.78813451624225195, Dist: 279.7403, GeoHash: 3481342659049484},
			{Name: "edge1", Longitude: 12.7584877610206604, Latitude: 38.78813451624225195, Dist: 279.7405, GeoHash: 3479273021651468},
		})
		// Raw shapes: the distance is a bulk string in both protocols, the
		// coordinates doubles in RESP3.
		want(t, rdb.Do(ctx, "GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "0", "km", "WITHDIST", "WITHHASH"),
			any([]interface{}{[]interface{}{"Palermo", "0.0000", int64(3479099956230698)}}))
		want(t, rdb.Do(ctx, "GEOSEARCH", "Sicily", "FROMMEMBER", "Catania", "BYRADIUS", "1", "km", "WITHCOORD"),
			any([]interface{}{[]interface{}{"Catania", []interface{}{
				byProto[interface{}](tg, "15.08726745843887329", geoCatania.Longitude),
				byProto[interface{}](tg, "37.50266842333162032", geoCatania.Latitude)}}}))
	}},
	{name: "geosearchstore", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		geoSicily(ctx, t, rdb)
		setup(t, rdb.Set(ctx, "dst", "x", 0))
		want(t, rdb.GeoSearchStore(ctx, "Sicily", "dst", &redis.GeoSearchStoreQuery{
			GeoSearchQuery: redis.GeoSearchQuery{Longitude: 15, Latitude: 37, Radius: 200, RadiusUnit: "km"}}), int64(2))
		want(t, rdb.Type(ctx, "dst"), "zset")
		want(t, rdb.GeoPos(ctx, "dst", "Palermo", "Catania"), []*redis.GeoPos{
			{Longitude: geoPalermo.Longitude, Latitude: geoPalermo.Latitude},
			{Longitude: geoCatania.Longitude, Latitude: geoCatania.Latitude}})
		// Nothing found: the destination is deleted.
		want(t, rdb.GeoSearchStore(ctx, "Sicily", "dst", &redis.GeoSearchStoreQuery{
			GeoSearchQuery: redis.GeoSearchQuery{Longitude: 15, Latitude: 37, Radius: 1, RadiusUnit: "m"}}), int64(0))
		want(t, rdb.Exists(ctx, "dst"), int64(0))
		setup(t, rdb.Set(ctx, "dst", "x", 0))
		want(t, rdb.GeoSearchStore(ctx, "missing", "dst", &redis.GeoSearchStoreQuery{
			GeoSearchQuery: redis.GeoSearchQuery{Longitude: 15, Latitude: 37, Radius: 1, RadiusUnit: "m"}}), int64(0))
		want(t, rdb.Exists(ctx, "dst"), int64(0))

		want(t, rdb.GeoRadiusStore(ctx, "Sicily", 15, 37, &redis.GeoRadiusQuery{Radius: 200, Unit: "km", Store: "r1"}), int64(2))
		want(t, rdb.GeoRadiusByMemberStore(ctx, "Sicily", "Palermo", &redis.GeoRadiusQuery{Radius: 200, Unit: "km", Count: 1, Sort: "DESC", StoreDist: "r2"}), int64(1))
		want(t, rdb.GeoHash(ctx, "r1", "Palermo", "Catania"), []string{"sqc8b49rny0", "sqdtr74hyu0"})
		want(t, rdb.Exists(ctx, "r2"), int64(1))
		want(t, rdb.Do(ctx, "GEORADIUS", "missing", "15", "37", "1", "km", "STORE", "r1"), any(int64(0)))
		want(t, rdb.Exists(ctx, "r1"), int64(0))
	}},
	{name: "geosearchstore_scores", needs: []string{"zrange"}, fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		geoSicily(ctx, t, rdb)
		want(t, rdb.ZRangeWithScores(ctx, "Sicily", 0, -1), []redis.Z{
			{Member: "Palermo", Score: 3479099956230698}, {Member: "Catania", Score: 3479447370796909}})
		want(t, rdb.GeoSearchStore(ctx, "Sicily", "dst", &redis.GeoSearchStoreQuery{
			GeoSearchQuery: redis.GeoSearchQuery{Longitude: 15, Latitude: 37, Radius: 200, RadiusUnit: "km"}, StoreDist: true}), int64(2))
		want(t, rdb.ZRangeWithScores(ctx, "dst", 0, -1), []redis.Z{
			{Member: "Catania", Score: 56.441257870158204}, {Member: "Palermo", Score: 190.44242984775784}})
		want(t, rdb.GeoRadiusByMemberStore(ctx, "Sicily", "Palermo", &redis.GeoRadiusQuery{Radius: 200, Unit: "mi", Count: 1, Sort: "DESC", StoreDist: "r2"}), int64(1))
		want(t, rdb.ZRangeWithScores(ctx, "r2", 0, -1), []redis.Z{{Member: "Catania", Score: 103.31822459492733}})
	}},
	{name: "georadius", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		geoSicily(ctx, t, rdb)
		want(t, rdb.GeoRadius(ctx, "Sicily", 15, 37, &redis.GeoRadiusQuery{Radius: 200, Unit: "km", WithDist: true, WithCoord: true, Sort: "ASC"}),
			[]redis.GeoLocation{
				{Name: "Catania", Longitude: geoCatania.Longitude, Latitude: geoCatania.Latitude, Dist: 56.4413},
				{Name: "Palermo", Longitude: geoPalermo.Longitude, Latitude: geoPalermo.Latitude, Dist: 190.4424}})
		want(t, rdb.GeoRadius(ctx, "Sicily", 15, 37, &redis.GeoRadiusQuery{Radius: 200, Unit: "km", WithGeoHash: true, Count: 1}),
			[]redis.GeoLocation{{Name: "Catania", GeoHash: 3479447370796909}})
		want(t, rdb.GeoRadiusByMember(ctx, "Sicily", "Palermo", &redis.GeoRadiusQuery{Radius: 200, Unit: "km", WithDist: true}),
			[]redis.GeoLocation{{Name: "Palermo", Dist: 0}, {Name: "Catania", Dist: 166.2742}})
		want(t, rdb.GeoRadius(ctx, "missing", 15, 37, &redis.GeoRadiusQuery{Radius: 200, Unit: "km"}), []redis.GeoLocation{})
		// The writing forms answer the same without STORE.
		want(t, rdb.Do(ctx, "GEORADIUS", "Sicily", "15", "37", "200", "km", "DESC"), any([]interface{}{"Palermo", "Catania"}))
		want(t, rdb.Do(ctx, "GEORADIUSBYMEMBER", "Sicily", "Catania", "100", "km"), any([]interface{}{"Catania"}))
	}},
	{name: "geo_is_a_zset", needs: []string{"zadd", "zrem", "zcard"}, fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		geoSicily(ctx, t, rdb)
		want(t, rdb.ZCard(ctx, "Sicily"), int64(2))
		want(t, rdb.ZRem(ctx, "Sicily", "Palermo"), int64(1))
		want(t, rdb.GeoPos(ctx, "Sicily", "Palermo"), []*redis.GeoPos{nil})
		// A score no GEOADD gives still decodes to some point.
		want(t, rdb.ZAdd(ctx, "Sicily", redis.Z{Member: "origin", Score: 0}, redis.Z{Member: "neg", Score: -1}), int64(2))
		want(t, rdb.GeoHash(ctx, "Sicily", "origin", "neg"), []string{"00bh0hbj200", "bp05b5048p0"})
		want(t, rdb.GeoPos(ctx, "Sicily", "origin", "neg"), []*redis.GeoPos{
			{Longitude: -179.99999731779098511, Latitude: -85.05112751263942528}, {Longitude: 180, Latitude: 85.0511287799999991}})
		want(t, rdb.ZRem(ctx, "Sicily", "Catania", "origin", "neg"), int64(3))
		want(t, rdb.Exists(ctx, "Sicily"), int64(0))
	}},
	{name: "geo_command_info", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		rd := []string{"@read", "@geo", "@slow"}
		wr := []string{"@write", "@geo", "@slow"}
		for name, exp := range map[string]redis.CommandInfo{
			"geoadd":               {Arity: -5, Flags: []string{"write", "denyoom"}, FirstKeyPos: 1, LastKeyPos: 1, StepCount: 1, ACLFlags: wr},
			"geopos":               {Arity: -2, Flags: []string{"readonly"}, FirstKeyPos: 1, LastKeyPos: 1, StepCount: 1, ACLFlags: rd},
			"geodist":              {Arity: -4, Flags: []string{"readonly"}, FirstKeyPos: 1, LastKeyPos: 1, StepCount: 1, ACLFlags: rd},
			"geohash":              {Arity: -2, Flags: []string{"readonly"}, FirstKeyPos: 1, LastKeyPos: 1, StepCount: 1, ACLFlags: rd},
			"geosearch":            {Arity: -7, Flags: []string{"readonly"}, FirstKeyPos: 1, LastKeyPos: 1, StepCount: 1, ACLFlags: rd},
			"geosearchstore":       {Arity: -8, Flags: []string{"write", "denyoom"}, FirstKeyPos: 1, LastKeyPos: 2, StepCount: 1, ACLFlags: wr},
			"georadius":            {Arity: -6, Flags: []string{"write", "denyoom", "movablekeys"}, FirstKeyPos: 1, LastKeyPos: 1, StepCount: 1, ACLFlags: wr},
			"georadiusbymember":    {Arity: -5, Flags: []string{"write", "denyoom", "movablekeys"}, FirstKeyPos: 1, LastKeyPos: 1, StepCount: 1, ACLFlags: wr},
			"georadius_ro":         {Arity: -6, Flags: []string{"readonly"}, FirstKeyPos: 1, LastKeyPos: 1, StepCount: 1, ACLFlags: rd},
			"georadiusbymember_ro": {Arity: -5, Flags: []string{"readonly"}, FirstKeyPos: 1, LastKeyPos: 1, StepCount: 1, ACLFlags: rd},
		} {
			if got, ok := commandInfoOf(ctx, t, rdb, name); !ok {
				t.Errorf("COMMAND INFO %s: no entry", name)
			} else {
				checkCommandInfo(t, name, got, exp)
			}
		}
		want(t, rdb.CommandGetKeys(ctx, "georadius", "k", "1", "2", "3", "km", "STORE", "d"), []string{"k", "d"})
		want(t, rdb.CommandGetKeys(ctx, "geosearchstore", "d", "s", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km"), []string{"d", "s"})
	}},
}
