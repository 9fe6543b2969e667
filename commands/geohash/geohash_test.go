package geohash

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"synap/resp/resptest"
)

func geoFmt(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// geoRandomPoint draws coordinates of every kind: anywhere, on the edges
// of the supported range, near zero, with few decimals.
func geoRandomPoint(rng *rand.Rand) (lon, lat float64) {
	switch rng.IntN(6) {
	case 0:
		edges := []float64{LonMin, LonMax, 0, -0.0000001, 1e-300}
		lats := []float64{LatMin, LatMax, 0, 85.0511287, -85.0511287}
		return edges[rng.IntN(len(edges))], lats[rng.IntN(len(lats))]
	case 1:
		return math.Round(rng.Float64()*3600-1800) / 10, math.Round(rng.Float64()*1700-850) / 10
	case 2:
		return rng.NormFloat64() * 1e-3, rng.NormFloat64() * 1e-3
	default:
		return LonMin + rng.Float64()*(LonMax-LonMin), LatMin + rng.Float64()*(LatMax-LatMin)
	}
}

// The score, position, geohash and distance of many points are exactly
// what redis-server computes for them.
func TestGeoMathMatchesRedis(t *testing.T) {
	r := resptest.StartRedis(t)
	rng := rand.New(rand.NewPCG(5, 26))
	type pt struct{ lon, lat, score float64 }
	var pts []pt
	for i := 0; i < 4000; i++ {
		lon, lat := geoRandomPoint(rng)
		name := "p" + strconv.Itoa(i)
		if got := r.Do("GEOADD", "g", geoFmt(lon), geoFmt(lat), name); got != ":1" {
			t.Fatalf("GEOADD %v %v: %s", lon, lat, got)
		}
		score := Score(lon, lat)
		if got, want := r.Do("ZSCORE", "g", name), strconv.Quote(strconv.FormatFloat(score, 'f', -1, 64)); got != want {
			t.Errorf("score of %v,%v: redis %s, ours %s", lon, lat, got, want)
		}
		pts = append(pts, pt{lon, lat, score})
		geoCompareDecoded(t, r, name, score)
	}
	for i := 0; i < 4000; i++ {
		a, b := rng.IntN(len(pts)), rng.IntN(len(pts))
		if i%4 == 0 { // same meridian
			pts[b].lon = pts[a].lon
			r.Do("GEOADD", "g", geoFmt(pts[b].lon), geoFmt(pts[b].lat), "p"+strconv.Itoa(b))
			pts[b].score = Score(pts[b].lon, pts[b].lat)
		}
		lon1, lat1 := Point(pts[a].score)
		lon2, lat2 := Point(pts[b].score)
		d := Distance(lon1, lat1, lon2, lat2)
		for _, unit := range []struct {
			name string
			conv float64
		}{{"m", 1}, {"km", 1000}, {"mi", 1609.34}, {"ft", 0.3048}} {
			got := r.Do("GEODIST", "g", "p"+strconv.Itoa(a), "p"+strconv.Itoa(b), unit.name)
			if want := strconv.Quote(string(AppendDistance(nil, d/unit.conv))); got != want {
				t.Errorf("GEODIST %v,%v %v,%v %s: redis %s, ours %s", lon1, lat1, lon2, lat2, unit.name, got, want)
			}
		}
	}
	// Scores no GEOADD gives still decode, as Redis's cast decodes them.
	odd := []float64{0, -1, -1e10, 1, 1 << 52, 1<<52 + 1, 1 << 60, 1<<63 - 1024, 1 << 63, 1 << 64, 1e30, math.Inf(1), math.Inf(-1), -(1 << 63), -1e30, 0.5, 123456789.75}
	for i := 0; i < 300; i++ {
		odd = append(odd, math.Ldexp(rng.Float64(), rng.IntN(70)), -math.Ldexp(rng.Float64(), rng.IntN(70)))
	}
	for i, s := range odd {
		name := "o" + strconv.Itoa(i)
		r.Do("ZADD", "g", geoFmt(s), name)
		geoCompareDecoded(t, r, name, s)
	}
}

func geoCompareDecoded(t *testing.T, r *resptest.Client, name string, score float64) {
	t.Helper()
	lon, lat := Point(score)
	want := "[[" + strconv.Quote(string(AppendCoord(nil, lon))) + " " + strconv.Quote(string(AppendCoord(nil, lat))) + "]]"
	if got := r.Do("GEOPOS", "g", name); got != want {
		t.Errorf("GEOPOS of score %v: redis %s, ours %s", score, got, want)
	}
	if got, want := r.Do("GEOHASH", "g", name), "["+strconv.Quote(string(AppendHash(nil, score)))+"]"; got != want {
		t.Errorf("GEOHASH of score %v: redis %s, ours %s", score, got, want)
	}
}
