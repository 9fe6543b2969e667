package commands

import (
	"math"
	"math/rand/v2"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"synap/resp/resptest"
)

// geoRedis starts a throwaway redis-server for comparisons, or skips the
// test when none is installed.
func geoRedis(t *testing.T) *resptest.Client {
	t.Helper()
	bin := resptest.NeedRedisServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := "127.0.0.1:" + strconv.Itoa(port)
	for i := 0; ; i++ {
		c, err := resptest.Dial(addr)
		if err == nil && c.Do("PING") == "+PONG" {
			t.Cleanup(func() { _ = c.Close() })
			return c
		}
		if c != nil {
			_ = c.Close()
		}
		if i == 100 {
			t.Fatalf("redis-server on %s did not answer: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func geoFmt(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// geoRandomPoint draws coordinates of every kind: anywhere, on the edges
// of the supported range, near zero, with few decimals.
func geoRandomPoint(rng *rand.Rand) (lon, lat float64) {
	switch rng.IntN(6) {
	case 0:
		edges := []float64{geoLonMin, geoLonMax, 0, -0.0000001, 1e-300}
		lats := []float64{geoLatMin, geoLatMax, 0, 85.0511287, -85.0511287}
		return edges[rng.IntN(len(edges))], lats[rng.IntN(len(lats))]
	case 1:
		return math.Round(rng.Float64()*3600-1800) / 10, math.Round(rng.Float64()*1700-850) / 10
	case 2:
		return rng.NormFloat64() * 1e-3, rng.NormFloat64() * 1e-3
	default:
		return geoLonMin + rng.Float64()*(geoLonMax-geoLonMin), geoLatMin + rng.Float64()*(geoLatMax-geoLatMin)
	}
}

// The score, position, geohash and distance of many points are exactly
// what redis-server computes for them.
func TestGeoMathMatchesRedis(t *testing.T) {
	r := geoRedis(t)
	rng := rand.New(rand.NewPCG(5, 26))
	type pt struct{ lon, lat, score float64 }
	var pts []pt
	for i := 0; i < 4000; i++ {
		lon, lat := geoRandomPoint(rng)
		name := "p" + strconv.Itoa(i)
		if got := r.Do("GEOADD", "g", geoFmt(lon), geoFmt(lat), name); got != ":1" {
			t.Fatalf("GEOADD %v %v: %s", lon, lat, got)
		}
		score := geoScore(lon, lat)
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
			pts[b].score = geoScore(pts[b].lon, pts[b].lat)
		}
		lon1, lat1 := geoPoint(pts[a].score)
		lon2, lat2 := geoPoint(pts[b].score)
		d := geoDistance(lon1, lat1, lon2, lat2)
		for _, unit := range []struct {
			name string
			conv float64
		}{{"m", 1}, {"km", 1000}, {"mi", 1609.34}, {"ft", 0.3048}} {
			got := r.Do("GEODIST", "g", "p"+strconv.Itoa(a), "p"+strconv.Itoa(b), unit.name)
			if want := strconv.Quote(string(geoAppendDistance(nil, d/unit.conv))); got != want {
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
	lon, lat := geoPoint(score)
	want := "[[" + strconv.Quote(string(geoAppendCoord(nil, lon))) + " " + strconv.Quote(string(geoAppendCoord(nil, lat))) + "]]"
	if got := r.Do("GEOPOS", "g", name); got != want {
		t.Errorf("GEOPOS of score %v: redis %s, ours %s", score, got, want)
	}
	if got, want := r.Do("GEOHASH", "g", name), "["+strconv.Quote(string(geoAppendHash(nil, score)))+"]"; got != want {
		t.Errorf("GEOHASH of score %v: redis %s, ours %s", score, got, want)
	}
}
