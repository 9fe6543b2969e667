package geohash

import (
	"strconv"
	"testing"
)

// Points of Redis's GEO documentation with the score, position, hash and
// distance redis-server gives them, so the package is checked without one.
func TestKnownPoints(t *testing.T) {
	for _, tc := range []struct {
		name     string
		lon, lat float64
		score    float64
		pos      [2]string
		hash     string
	}{
		{"Palermo", 13.361389, 38.115556, 3479099956230698, [2]string{"13.36138933897018433", "38.11555639549629859"}, "sqc8b49rny0"},
		{"Catania", 15.087269, 37.502669, 3479447370796909, [2]string{"15.08726745843887329", "37.50266842333162032"}, "sqdtr74hyu0"},
		{"origin", 0, 0, 3377699720527872, [2]string{"0.00000268220901489", "0.00000126736058093"}, "s0000000000"},
	} {
		score := Score(tc.lon, tc.lat)
		if score != tc.score {
			t.Errorf("%s: Score = %v, want %v", tc.name, score, tc.score)
		}
		lon, lat := Point(score)
		if got := [2]string{string(AppendCoord(nil, lon)), string(AppendCoord(nil, lat))}; got != tc.pos {
			t.Errorf("%s: Point = %v, want %v", tc.name, got, tc.pos)
		}
		if got := string(AppendHash(nil, score)); got != tc.hash {
			t.Errorf("%s: AppendHash = %s, want %s", tc.name, got, tc.hash)
		}
	}
	lon1, lat1 := Point(Score(13.361389, 38.115556))
	lon2, lat2 := Point(Score(15.087269, 37.502669))
	d := Distance(lon1, lat1, lon2, lat2)
	for _, tc := range []struct {
		conv float64
		want string
	}{{1, "166274.1516"}, {1000, "166.2742"}, {1609.34, "103.3182"}} {
		if got := string(AppendDistance(nil, d/tc.conv)); got != tc.want {
			t.Errorf("GEODIST Palermo Catania in units of %s m: %s, want %s", strconv.FormatFloat(tc.conv, 'g', -1, 64), got, tc.want)
		}
	}
	// A 200 km radius around Palermo holds Catania (166 km away); 100 km does not.
	for _, tc := range []struct {
		radius float64
		in     bool
	}{{200, true}, {100, false}} {
		s := &Shape{Lon: lon1, Lat: lat1, Radius: tc.radius, Conv: 1000}
		found := false
		for _, c := range Cells(s) {
			lo, hi := ScoreRange(c)
			if sc := Score(15.087269, 37.502669); sc >= float64(lo) && sc < float64(hi) {
				_, found = s.Contains(lon2, lat2)
			}
		}
		if found != tc.in {
			t.Errorf("Catania within %v km of Palermo: %v, want %v", tc.radius, found, tc.in)
		}
	}
}
