package commands

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"synap/commands/geohash"
	"synap/engine"
	"synap/resp"
)

// The geo family: points stored in sorted sets whose scores are geohashes
// (package geohash), so TYPE says zset and every sorted-set command works on
// them.

// Kinds of search command, as Redis's georadiusGeneric tells them apart.
const (
	geoByCoords  = 1 << iota // GEORADIUS: center and radius are positional
	geoByMember              // GEORADIUSBYMEMBER
	geoSearchCmd             // GEOSEARCH / GEOSEARCHSTORE: FROM... and BY... options
	geoStoreCmd              // GEOSEARCHSTORE: the destination is the first key
	geoNoStore               // the _RO variants: no STORE option
)

func init() {
	rd := []string{"read", "geo", "slow"}
	wr := []string{"write", "geo", "slow"}
	one := func(name string, arity int, flags Flag, acl []string, since, complexity, summary string, run func(*Ctx)) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, FirstKey: 1, LastKey: 1, Step: 1, ACL: acl,
			Group: "geo", Since: since, Complexity: complexity, Summary: summary, Run: run}
	}
	search := func(kind int) func(*Ctx) { return func(x *Ctx) { geoSearch(x, kind) } }
	const searchCost = "O(N+log(M)) where N is the number of points in the cells scanned around the area and M the number of points returned"
	store := one("geosearchstore", -8, FlagWrite|FlagDenyOOM, wr, "6.2.0", searchCost,
		"Stores the points of a geo set inside a circle or a box under another key.", search(geoSearchCmd|geoStoreCmd))
	store.LastKey = 2
	// GEORADIUS and GEORADIUSBYMEMBER are write commands only for their STORE
	// option; without it they hand out the points they find.
	radius := func(name string, arity, kind int, summary string) *Command {
		c := one(name, arity, FlagWrite|FlagDenyOOM, wr, "3.2.0", searchCost, summary, search(kind))
		keys := geoRadiusKeys(-arity)
		c.KeysFn = keys
		// With STORE the reply counts the points found: that reads too.
		c.Reveals = Always
		return c
	}
	// Plain GEOADD counts the points it adds, as ZADD (table.go's
	// Acknowledges); NX and XX make it conditional, CH compares positions.
	geoadd := one("geoadd", -5, FlagWrite|FlagDenyOOM, wr, "3.2.0", "O(log(N)) for each point added, N being the size of the set",
		"Adds points given by longitude and latitude to a geo set, or moves existing ones.", cmdGeoAdd)
	geoadd.Reveals = OptionAt(2, "nx", "xx", "ch")
	register(
		geoadd,
		one("geopos", -2, FlagReadOnly, rd, "3.2.0", "O(N) where N is the number of members asked for",
			"Returns the longitude and latitude of members of a geo set.", cmdGeoPos),
		one("geodist", -4, FlagReadOnly, rd, "3.2.0", "O(log(N))",
			"Returns the distance between two members of a geo set, in a chosen unit.", cmdGeoDist),
		one("geohash", -2, FlagReadOnly, rd, "3.2.0", "O(N) where N is the number of members asked for",
			"Returns the standard 11-character geohash strings of members of a geo set.", cmdGeoHash),
		one("geosearch", -7, FlagReadOnly, rd, "6.2.0", searchCost,
			"Finds the points of a geo set inside a circle or a box around a member or a position.", search(geoSearchCmd)),
		store,
		radius("georadius", -6, geoByCoords, "Finds the points of a geo set within a radius of a position, optionally storing them."),
		radius("georadiusbymember", -5, geoByMember, "Finds the points of a geo set within a radius of one of its members, optionally storing them."),
		one("georadius_ro", -6, FlagReadOnly, rd, "3.2.10", searchCost,
			"Finds the points of a geo set within a radius of a position.", search(geoByCoords|geoNoStore)),
		one("georadiusbymember_ro", -5, FlagReadOnly, rd, "3.2.10", searchCost,
			"Finds the points of a geo set within a radius of one of its members.", search(geoByMember|geoNoStore)),
	)
	// How each write reaches the write hook (propagate.go).
	setPropagation(map[string]Propagation{
		"geoadd": Verbatim, "georadius": Verbatim, "georadiusbymember": Verbatim, "geosearchstore": Verbatim,
	})
}

// geoRadiusKeys finds the keys of GEORADIUS (options from index from):
// the set, and the argument after each STORE or STOREDIST, since the last
// one given is the destination.
func geoRadiusKeys(from int) func(args [][]byte) []int {
	return func(args [][]byte) []int {
		keys := []int{1}
		for i := from; i+1 < len(args); i++ {
			if strEq(args[i], "store") || strEq(args[i], "storedist") {
				keys = append(keys, i+1)
				i++
			}
		}
		return keys
	}
}

// geoRead looks a geo set up for reading: nil when absent; ok is false
// (WRONGTYPE replied) for another kind.
func geoRead(x *Ctx, key []byte) (z *engine.ZSet, ok bool) {
	return readAs[*engine.ZSet](x, key, engine.KindZSet)
}

// geoLonLat parses a longitude and a latitude, replying Redis's error for
// a non-number or a point outside what a geohash can hold.
func geoLonLat(x *Ctx, lonArg, latArg []byte) (lon, lat float64, ok bool) {
	lon, ok1 := ParseFloat(lonArg)
	if !ok1 {
		x.Error(resp.ErrNotFloat)
		return 0, 0, false
	}
	lat, ok2 := ParseFloat(latArg)
	if !ok2 {
		x.Error(resp.ErrNotFloat)
		return 0, 0, false
	}
	if lon < geohash.LonMin || lon > geohash.LonMax || lat < geohash.LatMin || lat > geohash.LatMax {
		x.Error(fmt.Sprintf(errGeoPair, geoAppendPrintf(nil, lon), geoAppendPrintf(nil, lat)))
		return 0, 0, false
	}
	return lon, lat, true
}

// geoAppendPrintf formats f as C's "%f" does.
func geoAppendPrintf(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	}
	return strconv.AppendFloat(b, f, 'f', 6, 64)
}

// geoUnit is the number of meters in a unit name, 0 for an unknown one
// (whose error it replies).
func geoUnit(x *Ctx, arg []byte) float64 {
	switch {
	case strEq(arg, "m"):
		return 1
	case strEq(arg, "km"):
		return 1000
	case strEq(arg, "ft"):
		return 0.3048
	case strEq(arg, "mi"):
		return 1609.34
	}
	x.Error(errGeoUnit)
	return 0
}

// geoDistanceArg parses a radius and its unit.
func geoDistanceArg(x *Ctx, valArg, unitArg []byte) (v, conv float64, ok bool) {
	v, ok = ParseFloat(valArg)
	if !ok {
		x.Error(errGeoRadius)
		return 0, 0, false
	}
	if v < 0 {
		x.Error(errGeoNegative)
		return 0, 0, false
	}
	if conv = geoUnit(x, unitArg); conv == 0 {
		return 0, 0, false
	}
	return v, conv, true
}

// geoMemberPoint is the position of a member, or ok=false (error replied)
// when it is not in the set.
func geoMemberPoint(x *Ctx, z *engine.ZSet, member []byte) (lon, lat float64, ok bool) {
	score, found := z.Score(member)
	if !found {
		x.Error(errGeoMember)
		return 0, 0, false
	}
	lon, lat = geohash.Point(score)
	return lon, lat, true
}

// geoAddArgs is a parsed GEOADD.
type geoAddArgs struct {
	nx, xx, ch bool
	first      int // index of the first point's longitude
	scores     []float64
}

func geoParseAdd(x *Ctx) (a geoAddArgs, ok bool) {
	args := x.Args
	a.first = 2
options:
	for ; a.first < len(args); a.first++ {
		switch {
		case strEq(args[a.first], "nx"):
			a.nx = true
		case strEq(args[a.first], "xx"):
			a.xx = true
		case strEq(args[a.first], "ch"):
			a.ch = true
		default:
			break options
		}
	}
	rest := len(args) - a.first
	if rest%3 != 0 || rest == 0 || a.nx && a.xx {
		x.SyntaxError()
		return a, false
	}
	a.scores = make([]float64, rest/3)
	for j := range a.scores {
		lon, lat, ok := geoLonLat(x, args[a.first+3*j], args[a.first+3*j+1])
		if !ok {
			return a, false
		}
		a.scores[j] = geohash.Score(lon, lat)
	}
	return a, true
}

// cmdGeoAdd is ZADD with scores computed from coordinates, as in Redis.
func cmdGeoAdd(x *Ctx) {
	a, ok := geoParseAdd(x)
	if !ok {
		return
	}
	key := x.Args[1]
	en := x.Tx.Get(key)
	if en != nil && en.Kind != engine.KindZSet {
		x.Error(resp.ErrWrongType)
		return
	}
	if en == nil && a.xx {
		x.W.Int(0)
		return
	}
	var z *engine.ZSet
	if en == nil {
		// Like ZADD, a new set's encoding is chosen from its first member.
		z = engine.NewZSet(0, len(x.Args[a.first+2]))
	} else {
		z = en.Obj().(*engine.ZSet)
	}
	added, changed := 0, 0
	for j, score := range a.scores {
		member := x.Args[a.first+3*j+2]
		old, exists := z.Score(member)
		switch {
		case exists && !a.nx && old != score:
			z.Set(member, score)
			changed++
		case !exists && !a.xx:
			z.Set(member, score)
			added++
		}
	}
	switch {
	case en == nil:
		x.Tx.Put(key, engine.NewObject(engine.KindZSet, z))
	case added+changed > 0:
		x.Tx.Updated(key, en)
	}
	if a.ch {
		added += changed
	}
	x.W.Int(int64(added))
}

// geoWriteCoord writes one coordinate: a double in RESP3, a bulk string in
// RESP2, in Redis's human format either way.
func geoWriteCoord(w *resp.Writer, f float64) {
	var tmp [48]byte
	b := geohash.AppendCoord(tmp[:0], f)
	w.DoubleText(b)
}

func geoWritePoint(w *resp.Writer, lon, lat float64) {
	w.Array(2)
	geoWriteCoord(w, lon)
	geoWriteCoord(w, lat)
}

func geoWriteDistance(w *resp.Writer, d float64) {
	var tmp [48]byte
	w.Bulk(geohash.AppendDistance(tmp[:0], d))
}

func cmdGeoPos(x *Ctx) {
	z, ok := geoRead(x, x.Args[1])
	if !ok {
		return
	}
	x.W.Array(len(x.Args) - 2)
	for _, m := range x.Args[2:] {
		score, found := 0.0, false
		if z != nil {
			score, found = z.Score(m)
		}
		if !found {
			x.W.NullArray()
			continue
		}
		lon, lat := geohash.Point(score)
		geoWritePoint(x.W, lon, lat)
	}
}

func cmdGeoHash(x *Ctx) {
	z, ok := geoRead(x, x.Args[1])
	if !ok {
		return
	}
	x.W.Array(len(x.Args) - 2)
	var tmp [11]byte
	for _, m := range x.Args[2:] {
		score, found := 0.0, false
		if z != nil {
			score, found = z.Score(m)
		}
		if !found {
			x.W.Null()
			continue
		}
		x.W.Bulk(geohash.AppendHash(tmp[:0], score))
	}
}

func cmdGeoDist(x *Ctx) {
	conv := 1.0
	switch len(x.Args) {
	case 4:
	case 5:
		if conv = geoUnit(x, x.Args[4]); conv == 0 {
			return
		}
	default:
		x.SyntaxError()
		return
	}
	z, ok := geoRead(x, x.Args[1])
	if !ok {
		return
	}
	if z == nil {
		x.W.Null()
		return
	}
	s1, ok1 := z.Score(x.Args[2])
	s2, ok2 := z.Score(x.Args[3])
	if !ok1 || !ok2 {
		x.W.Null()
		return
	}
	lon1, lat1 := geohash.Point(s1)
	lon2, lat2 := geohash.Point(s2)
	geoWriteDistance(x.W, geohash.Distance(lon1, lat1, lon2, lat2)/conv)
}

// geoQuery is a parsed search.
type geoQuery struct {
	shape     geohash.Shape
	store     []byte // destination key, nil when none
	storeDist bool
	withDist  bool
	withHash  bool
	withCoord bool
	sort      int // 0 none, 1 ascending, -1 descending distance
	count     int64
	any       bool
}

// geoParseSearch parses a search command's arguments the way Redis does,
// interleaved with looking up the member a search starts from: z is the
// source set, nil when absent (then a FROMMEMBER is not checked, and for
// GEORADIUSBYMEMBER neither is the radius). ok is false once an error is
// replied.
func geoParseSearch(x *Ctx, z *engine.ZSet, kind int) (q geoQuery, ok bool) {
	args := x.Args
	base := 2
	switch {
	case kind&geoByCoords != 0:
		base = 6
		if q.shape.Lon, q.shape.Lat, ok = geoLonLat(x, args[2], args[3]); !ok {
			return q, false
		}
		if q.shape.Radius, q.shape.Conv, ok = geoDistanceArg(x, args[4], args[5]); !ok {
			return q, false
		}
	case kind&geoByMember != 0:
		base = 5
		if z != nil {
			if q.shape.Lon, q.shape.Lat, ok = geoMemberPoint(x, z, args[2]); !ok {
				return q, false
			}
			if q.shape.Radius, q.shape.Conv, ok = geoDistanceArg(x, args[3], args[4]); !ok {
				return q, false
			}
		}
	case kind&geoStoreCmd != 0:
		base = 3
		q.store = args[1]
	}
	canStore := kind&(geoNoStore|geoSearchCmd) == 0
	search := kind&geoSearchCmd != 0
	var fromMember, fromLonLat, byRadius, byBox bool
	for i := base; i < len(args); i++ {
		left := len(args) - 1 - i // arguments after this one
		a := args[i]
		switch {
		case strEq(a, "withdist"):
			q.withDist = true
		case strEq(a, "withhash"):
			q.withHash = true
		case strEq(a, "withcoord"):
			q.withCoord = true
		case strEq(a, "any"):
			q.any = true
		case strEq(a, "asc"):
			q.sort = 1
		case strEq(a, "desc"):
			q.sort = -1
		case strEq(a, "count") && left >= 1:
			i++
			if q.count, ok = x.IntArg(i); !ok {
				return q, false
			}
			if q.count <= 0 {
				x.Error(errGeoCount)
				return q, false
			}
		case (strEq(a, "store") || strEq(a, "storedist")) && left >= 1 && canStore:
			q.storeDist = len(a) == len("storedist")
			i++
			q.store = args[i]
		case strEq(a, "storedist") && kind&geoStoreCmd != 0:
			q.storeDist = true
		case strEq(a, "frommember") && left >= 1 && search && !fromLonLat:
			i++
			fromMember = true
			if z != nil {
				if q.shape.Lon, q.shape.Lat, ok = geoMemberPoint(x, z, args[i]); !ok {
					return q, false
				}
			}
		case strEq(a, "fromlonlat") && left >= 2 && search && !fromMember:
			if q.shape.Lon, q.shape.Lat, ok = geoLonLat(x, args[i+1], args[i+2]); !ok {
				return q, false
			}
			fromLonLat = true
			i += 2
		case strEq(a, "byradius") && left >= 2 && search && !byBox:
			if q.shape.Radius, q.shape.Conv, ok = geoDistanceArg(x, args[i+1], args[i+2]); !ok {
				return q, false
			}
			q.shape.Box, byRadius = false, true
			i += 2
		case strEq(a, "bybox") && left >= 3 && search && !byRadius:
			if q.shape.Width, q.shape.Height, q.shape.Conv, ok = geoBoxArg(x, args[i+1:i+4]); !ok {
				return q, false
			}
			q.shape.Box, byBox = true, true
			i += 3
		default:
			x.SyntaxError()
			return q, false
		}
	}
	switch {
	case q.store != nil && (q.withDist || q.withHash || q.withCoord):
		if kind&geoStoreCmd != 0 {
			x.Error(errGeoSearchStoreWith)
		} else {
			x.Error(errGeoRadiusStoreWith)
		}
		return q, false
	case search && !fromMember && !fromLonLat:
		x.Error(sanitize(fmt.Sprintf(errGeoFrom, args[0])))
		return q, false
	case search && !byRadius && !byBox:
		x.Error(sanitize(fmt.Sprintf(errGeoBy, args[0])))
		return q, false
	case q.any && q.count == 0:
		x.Error(errGeoAny)
		return q, false
	}
	// The nearest N need sorting; ANY takes the first N found instead.
	if q.count != 0 && q.sort == 0 && !q.any {
		q.sort = 1
	}
	return q, true
}

// geoBoxArg parses BYBOX's width, height and unit.
func geoBoxArg(x *Ctx, args [][]byte) (w, h, conv float64, ok bool) {
	if w, ok = ParseFloat(args[0]); !ok {
		x.Error(errGeoWidth)
		return 0, 0, 0, false
	}
	if h, ok = ParseFloat(args[1]); !ok {
		x.Error(errGeoHeight)
		return 0, 0, 0, false
	}
	if h < 0 || w < 0 {
		x.Error(errGeoBoxSign)
		return 0, 0, 0, false
	}
	if conv = geoUnit(x, args[2]); conv == 0 {
		return 0, 0, 0, false
	}
	return w, h, conv, true
}

// geoHit is a point found by a search.
type geoHit struct {
	member   string
	score    float64
	dist     float64 // meters, then the query's unit
	lon, lat float64
}

// geoFind collects the points of z inside the shape, cell by cell in
// Redis's order, stopping after limit points when limit > 0.
func geoFind(z *engine.ZSet, s *geohash.Shape, limit int64) []geoHit {
	var hits []geoHit
	for _, cell := range geohash.Cells(s) {
		if limit > 0 && int64(len(hits)) >= limit {
			break
		}
		lo, hi := geohash.ScoreRange(cell)
		from, to := z.ScoreSpan(engine.ScoreRange{Min: float64(lo), Max: float64(hi), MaxEx: true})
		z.Range(from, to, false, func(member string, score float64) bool {
			lon, lat := geohash.Point(score)
			if d, in := s.Contains(lon, lat); in {
				hits = append(hits, geoHit{member: member, score: score, dist: d, lon: lon, lat: lat})
			}
			return limit == 0 || int64(len(hits)) < limit
		})
	}
	return hits
}

func geoSearch(x *Ctx, kind int) {
	src := x.Args[1]
	if kind&geoStoreCmd != 0 {
		src = x.Args[2]
	}
	z, ok := geoRead(x, src)
	if !ok {
		return
	}
	q, ok := geoParseSearch(x, z, kind)
	if !ok {
		return
	}
	if z == nil {
		if q.store != nil {
			x.Tx.Delete(q.store)
			x.W.Int(0)
		} else {
			x.W.Array(0)
		}
		return
	}
	limit := int64(0)
	if q.any {
		limit = q.count
	}
	hits := geoFind(z, &q.shape, limit)
	n := len(hits)
	if q.count > 0 && int64(n) > q.count {
		n = int(q.count)
	}
	if q.sort != 0 {
		cmp := func(a, b *geoHit) int {
			switch {
			case a.dist > b.dist:
				return q.sort
			case a.dist == b.dist:
				return 0
			}
			return -q.sort
		}
		if n == len(hits) {
			// C's qsort is glibc's merge sort here: stable.
			slices.SortStableFunc(hits, func(a, b geoHit) int { return cmp(&a, &b) })
		} else {
			geoPartialSort(hits, 0, n-1, cmp)
		}
	}
	hits = hits[:n]
	for i := range hits {
		hits[i].dist /= q.shape.Conv
	}
	if q.store != nil {
		geoStore(x, q, hits)
		return
	}
	opts := 0
	for _, on := range []bool{q.withDist, q.withHash, q.withCoord} {
		if on {
			opts++
		}
	}
	x.W.Array(len(hits))
	for i := range hits {
		h := &hits[i]
		if opts > 0 {
			x.W.Array(opts + 1)
		}
		x.W.BulkString(h.member)
		if q.withDist {
			geoWriteDistance(x.W, h.dist)
		}
		if q.withHash {
			x.W.Int(geoCastInt(h.score))
		}
		if q.withCoord {
			geoWritePoint(x.W, h.lon, h.lat)
		}
	}
}

// geoStore replaces the destination with the points found (scored by
// geohash, or by distance for STOREDIST), or deletes it when none were.
func geoStore(x *Ctx, q geoQuery, hits []geoHit) {
	if len(hits) == 0 {
		x.Tx.Delete(q.store)
		x.W.Int(0)
		return
	}
	longest := 0
	for i := range hits {
		longest = max(longest, len(hits[i].member))
	}
	z := engine.NewZSet(len(hits), longest)
	for i := range hits {
		score := hits[i].score
		if q.storeDist {
			score = hits[i].dist
		}
		z.Set([]byte(hits[i].member), score)
	}
	en := engine.NewObject(engine.KindZSet, z)
	if !x.StoreAllowed(x.Tx, q.store, en.ValueSize()) {
		return
	}
	x.Tx.Put(q.store, en)
	x.W.Int(int64(len(hits)))
}

// geoCastInt converts a score to an integer as C's cast does on x86-64:
// out of range gives the "integer indefinite" value.
func geoCastInt(f float64) int64 {
	if !(f >= -(1<<63) && f < 1<<63) {
		return math.MinInt64
	}
	return int64(f)
}

// geoPartialSort orders hits so that positions lo..hi hold what a full sort
// would put there, exactly as Redis's pqsort does: a Bentley-McIlroy
// quicksort that leaves partitions outside the range unsorted. Following it
// step by step keeps the order of equal distances the same as Redis's.
func geoPartialSort(a []geoHit, lo, hi int, cmp func(a, b *geoHit) int) {
	swap := func(i, j int) { a[i], a[j] = a[j], a[i] }
	vecswap := func(i, j, n int) {
		for k := 0; k < n; k++ {
			swap(i+k, j+k)
		}
	}
	med3 := func(i, j, k int) int {
		if cmp(&a[i], &a[j]) < 0 {
			if cmp(&a[j], &a[k]) < 0 {
				return j
			}
			if cmp(&a[i], &a[k]) < 0 {
				return k
			}
			return i
		}
		if cmp(&a[j], &a[k]) > 0 {
			return j
		}
		if cmp(&a[i], &a[k]) < 0 {
			return i
		}
		return k
	}
	// outside reports whether the part [base, base+n) holds no position of
	// the range.
	outside := func(base, n int) bool {
		last := base + n - 1
		return lo < base && hi < base || lo > last && hi > last
	}
	var sort func(base, n int)
	sort = func(base, n int) {
		for {
			if n < 7 {
				for m := base + 1; m < base+n; m++ {
					for l := m; l > base && cmp(&a[l-1], &a[l]) > 0; l-- {
						swap(l, l-1)
					}
				}
				return
			}
			m := base + n/2
			if n > 7 {
				l, h := base, base+n-1
				if n > 40 {
					d := n / 8
					l = med3(l, l+d, l+2*d)
					m = med3(m-d, m, m+d)
					h = med3(h-2*d, h-d, h)
				}
				m = med3(l, m, h)
			}
			swap(base, m)
			pa, pb := base+1, base+1
			pc, pd := base+n-1, base+n-1
			for {
				for pb <= pc {
					r := cmp(&a[pb], &a[base])
					if r > 0 {
						break
					}
					if r == 0 {
						swap(pa, pb)
						pa++
					}
					pb++
				}
				for pb <= pc {
					r := cmp(&a[pc], &a[base])
					if r < 0 {
						break
					}
					if r == 0 {
						swap(pc, pd)
						pd--
					}
					pc--
				}
				if pb > pc {
					break
				}
				swap(pb, pc)
				pb++
				pc--
			}
			end := base + n
			r := min(pa-base, pb-pa)
			vecswap(base, pb-r, r)
			r = min(pd-pc, end-pd-1)
			vecswap(pb, end-r, r)
			if r = pb - pa; r > 1 && !outside(base, r) {
				sort(base, r)
			}
			if r = pd - pc; r > 1 && !outside(end-r, r) {
				base, n = end-r, r
				continue
			}
			return
		}
	}
	sort(0, len(a))
}
