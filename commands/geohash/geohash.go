// Package geohash is Redis's geo arithmetic: points as 52-bit interleaved
// cells stored as sorted-set scores, the cells a radius or box search
// scans, great-circle distances, and how GEOHASH, GEOPOS and GEODIST print
// their numbers. It knows nothing of keys or replies; commands/geo.go does.
package geohash

import (
	"math"
	"math/big"
	"strconv"
	"sync"
)

// Geo values are sorted-set scores: a point's longitude and latitude are
// scaled to 26-bit cells and their bits interleaved into a 52-bit integer
// (latitude on the even bits, longitude on the odd ones), so points close
// on Earth tend to be close in the set's order. Everything below follows
// Redis's arithmetic operation for operation, in float64 as Redis does in
// double, so the same input gives the same score, position and distance.

const (
	LonMin = -180.0
	LonMax = 180.0
	LatMin = -85.05112878
	LatMax = 85.05112878
	// stepMax cells per axis are 2^26: 52 bits in all, which a double
	// score holds exactly.
	stepMax = 26
	// Earth's quadratic mean radius for WGS-84, the radius Redis uses.
	EarthRadius = 6372797.560856
	// Half of Earth's circumference in Web Mercator meters: the coarsest
	// cell's width, from which a search's cell size is estimated.
	mercatorMax = 20037726.37
)

// pi is a variable so that degree/radian factors are computed as C
// computes M_PI / 180.0: one rounded double division.
var (
	pi = math.Pi
	dr = pi / 180.0
)

func degRad(d float64) float64 { return d * dr }
func radDeg(r float64) float64 { return r / dr }

type interval struct{ min, max float64 }

// The ranges scores are encoded in; GEOHASH re-encodes into the standard
// geohash latitude range.
var (
	lonRange = interval{LonMin, LonMax}
	latRange = interval{LatMin, LatMax}
	stdLat   = interval{-90, 90}
)

// Cell is a geohash cell: step bits per axis, interleaved.
type Cell struct {
	bits uint64
	step uint8
}

func (h Cell) zero() bool { return h.bits == 0 && h.step == 0 }

// extent is the extent of a cell.
type extent struct {
	lon, lat interval
}

// spread moves the 32 bits of v to the even bit positions of the result.
func spread(v uint32) uint64 {
	x := uint64(v)
	x = (x | x<<16) & 0x0000FFFF0000FFFF
	x = (x | x<<8) & 0x00FF00FF00FF00FF
	x = (x | x<<4) & 0x0F0F0F0F0F0F0F0F
	x = (x | x<<2) & 0x3333333333333333
	x = (x | x<<1) & 0x5555555555555555
	return x
}

// squeeze gathers the even bits of v into 32 bits.
func squeeze(v uint64) uint32 {
	x := v & 0x5555555555555555
	x = (x | x>>1) & 0x3333333333333333
	x = (x | x>>2) & 0x0F0F0F0F0F0F0F0F
	x = (x | x>>4) & 0x00FF00FF00FF00FF
	x = (x | x>>8) & 0x0000FFFF0000FFFF
	x = (x | x>>16) & 0x00000000FFFFFFFF
	return uint32(x)
}

// interleave puts lat on the even bits and lon on the odd bits.
func interleave(lat, lon uint32) uint64 { return spread(lat) | spread(lon)<<1 }

// encode finds the cell of the given step holding a point, within the
// given ranges. ok is false outside Redis's supported coordinates.
func encode(lonR, latR interval, lon, lat float64, step uint8) (Cell, bool) {
	if step == 0 || step > 32 {
		return Cell{}, false
	}
	if lon > LonMax || lon < LonMin || lat > LatMax || lat < LatMin {
		return Cell{}, false
	}
	if lat < latR.min || lat > latR.max || lon < lonR.min || lon > lonR.max {
		return Cell{step: step}, false
	}
	latOff := (lat - latR.min) / (latR.max - latR.min)
	lonOff := (lon - lonR.min) / (lonR.max - lonR.min)
	latOff *= float64(uint64(1) << step)
	lonOff *= float64(uint64(1) << step)
	// C truncates the doubles to uint32 here; at the top edge an offset is
	// exactly 2^step, which spills into the next bit pair as in Redis.
	return Cell{bits: interleave(uint32(latOff), uint32(lonOff)), step: step}, true
}

// decode is the extent of cell h.
func decode(lonR, latR interval, h Cell) extent {
	lat := squeeze(h.bits)
	lon := squeeze(h.bits >> 1)
	latScale := latR.max - latR.min
	lonScale := lonR.max - lonR.min
	div := float64(uint64(1) << h.step)
	// The +1 is 32-bit arithmetic in Redis: it wraps for a garbage score.
	return extent{
		lat: interval{latR.min + (float64(lat)/div)*latScale, latR.min + (float64(lat+1)/div)*latScale},
		lon: interval{lonR.min + (float64(lon)/div)*lonScale, lonR.min + (float64(lon+1)/div)*lonScale},
	}
}

// center is the middle of the area, kept inside the supported coordinates.
func (a extent) center() (lon, lat float64) {
	lon = (a.lon.min + a.lon.max) / 2
	lon = min(max(lon, LonMin), LonMax)
	lat = (a.lat.min + a.lat.max) / 2
	lat = min(max(lat, LatMin), LatMax)
	return lon, lat
}

// Score is the sorted-set score of a valid point.
func Score(lon, lat float64) float64 {
	h, _ := encode(lonRange, latRange, lon, lat, stepMax)
	return float64(h.bits)
}

// scoreBits converts a score to the 64-bit cell as Redis's C cast does
// on x86-64, also for scores that no GEOADD produced (negative, huge).
func scoreBits(f float64) uint64 {
	const two63 = 1 << 63
	switch {
	case f < two63:
		if f <= -two63 || math.IsInf(f, -1) {
			return 1 << 63 // the cast's "integer indefinite" value
		}
		return uint64(int64(f))
	case f-two63 < two63:
		return uint64(int64(f-two63)) ^ 1<<63
	default:
		return 0 // indefinite, then the top bit flipped back
	}
}

// Point decodes a score into the point GEOPOS reports: the middle of its cell.
func Point(score float64) (lon, lat float64) {
	return decode(lonRange, latRange, Cell{bits: scoreBits(score), step: stepMax}).center()
}

// Distance is the great-circle distance between two points in meters
// (the haversine formula).
func Distance(lon1, lat1, lon2, lat2 float64) float64 {
	return distanceCos(lon1, lat1, math.NaN(), lon2, lat2)
}

// distanceCos is Distance given cos1, the cosine of the first point's
// latitude in radians when already known (NaN when not), as a search knows
// its center's.
func distanceCos(lon1, lat1, cos1, lon2, lat2 float64) float64 {
	lat1r := degRad(lat1)
	lon1r := degRad(lon1)
	lat2r := degRad(lat2)
	lon2r := degRad(lon2)
	u := sin((lat2r - lat1r) / 2)
	v := sin((lon2r - lon1r) / 2)
	// Explicit conversions keep the compiler from fusing multiply-adds,
	// which would round differently from Redis.
	a := float64(u * u)
	if v != 0 { // else the product below is zero: skip the cosines
		cos2 := cos(lat2r)
		switch {
		case lat1r == lat2r:
			cos1 = cos2
		case math.IsNaN(cos1):
			cos1 = cos(lat1r)
		}
		a += float64(float64(cos1*cos2)*v) * v
	}
	return 2.0 * EarthRadius * asin(math.Sqrt(a))
}

const alphabet = "0123456789bcdefghjkmnpqrstuvwxyz"

// AppendHash appends the 11-character standard geohash of a score: the
// point is decoded and re-encoded with latitudes over ±90. The 52 bits give
// ten characters; the eleventh is always '0', as in Redis.
func AppendHash(b []byte, score float64) []byte {
	lon, lat := Point(score)
	h, _ := encode(lonRange, stdLat, lon, lat, stepMax)
	for i := 0; i < 10; i++ {
		b = append(b, alphabet[(h.bits>>(52-(i+1)*5))&0x1f])
	}
	return append(b, '0')
}

// AppendCoord formats a coordinate as Redis replies with it: 17 decimals,
// trailing zeros (and a bare point) removed.
func AppendCoord(b []byte, f float64) []byte {
	start := len(b)
	b = strconv.AppendFloat(b, f, 'f', 17, 64)
	for b[len(b)-1] == '0' {
		b = b[:len(b)-1]
	}
	if b[len(b)-1] == '.' {
		b = b[:len(b)-1]
	}
	if string(b[start:]) == "-0" {
		b = append(b[:start], '0')
	}
	return b
}

// AppendDistance formats a distance as Redis 7 does: scaled by 10^4,
// rounded half to even (llrint), printed with four decimals. That rounds
// differently from printf's "%.4f" when the scaled value lands on a half.
func AppendDistance(b []byte, d float64) []byte {
	if d == 0 {
		return append(b, "0.0000"...)
	}
	r := math.RoundToEven(d * 10000)
	var u uint64
	if !(r >= -(1<<63) && r < 1<<63) {
		// NaN or out of range: llrint's "integer indefinite", the most negative value.
		b = append(b, '-')
		u = 1 << 63
	} else if r < 0 {
		b = append(b, '-')
		u = uint64(-int64(r))
	} else {
		u = uint64(r)
	}
	var tmp [24]byte
	digits := strconv.AppendUint(tmp[:0], u, 10)
	for len(digits) < 5 {
		digits = append([]byte{'0'}, digits...)
	}
	b = append(b, digits[:len(digits)-4]...)
	b = append(b, '.')
	return append(b, digits[len(digits)-4:]...)
}

// Shape is a search area around a center: a circle of radius, or a box
// of width × height, in units of conv meters.
type Shape struct {
	Lon, Lat      float64
	Box           bool
	Radius        float64
	Width, Height float64
	Conv          float64
	cos           float64 // cos of the center's latitude, once computed
}

// bounds is the shape's bounding box in degrees. Meridians converge toward
// the poles, so the box takes its longitude span from the edge nearer the
// pole (or farther from it: the bottom edge in the southern hemisphere).
func (s *Shape) bounds() (minLon, minLat, maxLon, maxLat float64) {
	h, w := s.Radius, s.Radius
	if s.Box {
		h, w = s.Height/2, s.Width/2
	}
	h *= s.Conv
	w *= s.Conv
	latDelta := radDeg(h / EarthRadius)
	top := radDeg(w / EarthRadius / cos(degRad(s.Lat+latDelta)))
	bottom := radDeg(w / EarthRadius / cos(degRad(s.Lat-latDelta)))
	d := top
	if s.Lat < 0 {
		d = bottom
	}
	return s.Lon - d, s.Lat - latDelta, s.Lon + d, s.Lat + latDelta
}

// contains reports whether a point is in the shape, and its distance from
// the center in meters.
func (s *Shape) Contains(lon, lat float64) (float64, bool) {
	if s.cos == 0 {
		s.cos = cos(degRad(s.Lat))
	}
	if !s.Box {
		d := distanceCos(s.Lon, s.Lat, s.cos, lon, lat)
		return d, d <= s.Radius*s.Conv
	}
	lonDist := Distance(lon, lat, s.Lon, lat)
	latDist := Distance(lon, lat, lon, s.Lat)
	if lonDist > s.Width*s.Conv/2 || latDist > s.Height*s.Conv/2 {
		return 0, false
	}
	return distanceCos(s.Lon, s.Lat, s.cos, lon, lat), true
}

// estimateStep picks the cell size for a search of the given reach: the
// finest step whose cells are still about as wide as the reach, coarser
// near the poles.
func estimateStep(meters, lat float64) uint8 {
	if meters == 0 {
		return 26
	}
	step := 1
	for meters < mercatorMax {
		meters *= 2
		step++
	}
	step -= 2
	if lat > 66 || lat < -66 {
		step--
		if lat > 80 || lat < -80 {
			step--
		}
	}
	return uint8(min(max(step, 1), 26))
}

// move shifts a cell by one along one axis (odd bits: longitude, even
// bits: latitude), wrapping around within its step.
func move(h Cell, d int, axis, other uint64) Cell {
	if d == 0 {
		return h
	}
	a := h.bits & axis
	o := h.bits & other
	fill := other >> (64 - uint(h.step)*2)
	if d > 0 {
		a += fill + 1
	} else {
		a |= fill
		a -= fill + 1
	}
	a &= axis >> (64 - uint(h.step)*2)
	return Cell{bits: a | o, step: h.step}
}

const (
	oddBits  = 0xaaaaaaaaaaaaaaaa
	evenBits = 0x5555555555555555
)

func neighbor(h Cell, dx, dy int) Cell {
	h = move(h, dx, oddBits, evenBits)
	return move(h, dy, evenBits, oddBits)
}

// ScoreRange is the range of scores [lo, hi) of the points in cell h.
func ScoreRange(h Cell) (lo, hi uint64) {
	shift := 52 - uint(h.step)*2
	return h.bits << shift, (h.bits + 1) << shift
}

// Cells returns the cells a search scans, in the order Redis scans them:
// the center's cell, then north, south, east, west, north-east, north-west,
// south-east, south-west. Cells that cannot hold a match are zero, and a
// cell equal to the one scanned before it is dropped, as Redis does; zero
// cells are left out.
func Cells(s *Shape) []Cell {
	minLon, minLat, maxLon, maxLat := s.bounds()
	reach := s.Radius
	if s.Box {
		reach = math.Sqrt(float64((s.Width/2)*(s.Width/2)) + float64((s.Height/2)*(s.Height/2)))
	}
	reach *= s.Conv
	step := estimateStep(reach, s.Lat)

	around := func(step uint8) (Cell, [8]Cell, extent) {
		h, _ := encode(lonRange, latRange, s.Lon, s.Lat, step)
		n := [8]Cell{
			neighbor(h, 0, 1), neighbor(h, 0, -1), neighbor(h, 1, 0), neighbor(h, -1, 0),
			neighbor(h, 1, 1), neighbor(h, -1, 1), neighbor(h, 1, -1), neighbor(h, -1, -1),
		}
		return h, n, decode(lonRange, latRange, h)
	}
	const north, south, east, west, ne, nw, se, sw = 0, 1, 2, 3, 4, 5, 6, 7
	h, n, area := around(step)
	// Near a cell's edge the neighbors may not reach across the whole
	// bounding box: one step coarser then.
	decrease := decode(lonRange, latRange, n[north]).lat.max < maxLat ||
		decode(lonRange, latRange, n[south]).lat.min > minLat ||
		decode(lonRange, latRange, n[east]).lon.max < maxLon ||
		decode(lonRange, latRange, n[west]).lon.min > minLon
	if step > 1 && decrease {
		step--
		h, n, area = around(step)
	}
	if step >= 2 {
		drop := func(ids ...int) {
			for _, i := range ids {
				n[i] = Cell{}
			}
		}
		if area.lat.min < minLat {
			drop(south, sw, se)
		}
		if area.lat.max > maxLat {
			drop(north, ne, nw)
		}
		if area.lon.min < minLon {
			drop(west, sw, nw)
		}
		if area.lon.max > maxLon {
			drop(east, se, ne)
		}
	}
	all := [9]Cell{h, n[north], n[south], n[east], n[west], n[ne], n[nw], n[se], n[sw]}
	out := make([]Cell, 0, 9)
	last := 0 // Redis compares with the last scanned cell, never with the center
	for i, c := range all {
		if c.zero() {
			continue
		}
		if last != 0 && c == all[last] {
			continue
		}
		out = append(out, c)
		last = i
	}
	return out
}

// Sine, cosine and arcsine rounded correctly (but for astronomically rare
// cases). Redis computes distances with the C library's functions, which
// on glibc are correctly rounded in all but about one call in a thousand;
// Go's math package is often one unit in the last place off. A distance
// printed to 0.1 mm, or a point right on a search's edge, then differs now
// and then, and near-antipodal points, where the haversine formula is
// ill-conditioned, differ by decimeters. Evaluating in double-double
// precision (about 106 bits) and rounding once gives what glibc gives.

// dd is an unevaluated sum hi+lo with |lo| <= ulp(hi)/2.
type dd struct{ hi, lo float64 }

func twoSum(a, b float64) dd {
	s := a + b
	bb := s - a
	return dd{s, (a - (s - bb)) + (b - bb)}
}

func fastTwoSum(a, b float64) dd { // |a| >= |b|
	s := a + b
	return dd{s, b - (s - a)}
}

func twoProd(a, b float64) dd {
	p := a * b
	return dd{p, math.FMA(a, b, -p)}
}

func (a dd) add(b dd) dd {
	s := twoSum(a.hi, b.hi)
	return fastTwoSum(s.hi, s.lo+(a.lo+b.lo))
}

func (a dd) mul(b dd) dd {
	p := twoProd(a.hi, b.hi)
	return fastTwoSum(p.hi, p.lo+(a.hi*b.lo+a.lo*b.hi))
}

func (a dd) neg() dd { return dd{-a.hi, -a.lo} }

// trig holds π/2 in three parts and sin, cos of j/64 for j = 0..51, the
// points arguments are reduced around, computed once with math/big.
var trig struct {
	once       sync.Once
	pio2       [3]float64
	sinJ, cosJ [52]dd
}

func trigInit() {
	const prec = 256
	// π to 100 decimals, far more than the 160 bits used.
	pi, _, _ := big.ParseFloat("3.1415926535897932384626433832795028841971693993751058209749445923078164062862089986280348253421170679", 10, prec, big.ToNearestEven)
	rest := new(big.Float).SetPrec(prec).Quo(pi, big.NewFloat(2))
	for i := range trig.pio2 {
		trig.pio2[i], _ = rest.Float64()
		rest.Sub(rest, new(big.Float).SetFloat64(trig.pio2[i]))
	}
	split := func(f *big.Float) dd {
		hi, _ := f.Float64()
		lo, _ := new(big.Float).SetPrec(prec).Sub(f, new(big.Float).SetFloat64(hi)).Float64()
		return dd{hi, lo}
	}
	for j := range trig.sinJ {
		x := new(big.Float).SetPrec(prec).SetFloat64(float64(j) / 64)
		sin := new(big.Float).SetPrec(prec)
		cos := new(big.Float).SetPrec(prec)
		term := new(big.Float).SetPrec(prec).SetInt64(1) // x^n / n!
		for n := 0; n < 60; n++ {
			switch n % 4 {
			case 0:
				cos.Add(cos, term)
			case 1:
				sin.Add(sin, term)
			case 2:
				cos.Sub(cos, term)
			case 3:
				sin.Sub(sin, term)
			}
			term.Mul(term, x)
			term.Quo(term, new(big.Float).SetInt64(int64(n+1)))
		}
		trig.sinJ[j], trig.cosJ[j] = split(sin), split(cos)
	}
}

// trigDD returns sin x (shift 0) or cos x (shift 1, as sin(x + π/2))
// in double-double precision, for |x| <= 8; ok is false beyond.
func trigDD(x float64, shift int) (v dd, ok bool) {
	if !(math.Abs(x) <= 8) {
		return dd{}, false
	}
	trig.once.Do(trigInit)
	p := &trig.pio2
	// r = x - k·π/2, exactly enough: k·p[0] is taken as an exact product,
	// and x - k·p[0] is exact since the two are within a factor of two.
	k := math.Round(x * (2 / math.Pi))
	kp := twoProd(k, p[0])
	r := twoSum(x-kp.hi, -kp.lo)
	r = r.add(twoProd(-k, p[1]))
	r = r.add(dd{-k * p[2], 0})
	// r = j/64 + t with |t| <= 1/128; r.hi - j/64 is exact for the same reason.
	j := math.Round(r.hi * 64)
	t := fastTwoSum(r.hi-j/64, r.lo)
	th := t.hi
	t2 := th * th
	// sin t = t + t³·P(t²), cos t = 1 - t²/2 + t⁴·Q(t²): the polynomial
	// parts are below 2^-20 of the result, so double precision does for them.
	sp := th * t2 * (-1.0/6 + t2*(1.0/120+t2*(-1.0/5040+t2*(1.0/362880+t2*(-1.0/39916800)))))
	sinT := t.add(dd{sp, 0})
	half := twoProd(th, th)
	half = fastTwoSum(half.hi, half.lo+2*th*t.lo)
	half = dd{half.hi / 2, half.lo / 2}
	cq := t2 * t2 * (1.0/24 + t2*(-1.0/720+t2*(1.0/40320+t2*(-1.0/3628800+t2*(1.0/479001600)))))
	cosT := dd{1, 0}.add(half.neg()).add(dd{cq, 0})
	ji := int(j)
	if ji < 0 {
		ji = -ji
	}
	sa, ca := trig.sinJ[ji], trig.cosJ[ji]
	if j < 0 {
		sa = sa.neg()
	}
	// sin(x) is ±sin r or ±cos r by quadrant; cos shifts the quadrant by one.
	switch (int(k) + shift) & 3 {
	case 0:
		return sa.mul(cosT).add(ca.mul(sinT)), true
	case 1:
		return ca.mul(cosT).add(sa.mul(sinT).neg()), true
	case 2:
		return sa.mul(cosT).add(ca.mul(sinT)).neg(), true
	default:
		return ca.mul(cosT).add(sa.mul(sinT).neg()).neg(), true
	}
}

// sin is sin x correctly rounded (math.Sin beyond |x| <= 8).
func sin(x float64) float64 {
	if x == 0 {
		return x
	}
	s, ok := trigDD(x, 0)
	if !ok {
		return math.Sin(x)
	}
	return s.hi + s.lo
}

// cos is cos x correctly rounded (math.Cos beyond |x| <= 8).
func cos(x float64) float64 {
	c, ok := trigDD(x, 1)
	if !ok {
		return math.Cos(x)
	}
	return c.hi + c.lo
}

// asin is arcsine correctly rounded: a first approximation refined by
// one Newton step on sin y = x in double-double precision.
func asin(x float64) float64 {
	if !(x > 0 && x < 1) {
		return math.Asin(x) // 0, 1 (π/2 rounded), NaN
	}
	var y float64
	if x <= 0.5 {
		y = math.Asin(x)
	} else {
		// Go's math.Asin loses digits near 1; this form does not.
		y = math.Pi/2 - 2*math.Asin(math.Sqrt((1-x)/2))
	}
	// The step's size needs sin y to full precision, but cos y only roughly.
	s, _ := trigDD(y, 0)
	d := twoSum(x, -s.hi).add(dd{-s.lo, 0})
	return y + (d.hi+d.lo)/math.Cos(y)
}
