package commands

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
	geoLonMin = -180.0
	geoLonMax = 180.0
	geoLatMin = -85.05112878
	geoLatMax = 85.05112878
	// geoStepMax cells per axis are 2^26: 52 bits in all, which a double
	// score holds exactly.
	geoStepMax = 26
	// Earth's quadratic mean radius for WGS-84, the radius Redis uses.
	geoEarthRadius = 6372797.560856
	// Half of Earth's circumference in Web Mercator meters: the coarsest
	// cell's width, from which a search's cell size is estimated.
	geoMercatorMax = 20037726.37
)

// geoPi is a variable so that degree/radian factors are computed as C
// computes M_PI / 180.0: one rounded double division.
var (
	geoPi = math.Pi
	geoDR = geoPi / 180.0
)

func geoDegRad(d float64) float64 { return d * geoDR }
func geoRadDeg(r float64) float64 { return r / geoDR }

type geoRange struct{ min, max float64 }

// The ranges scores are encoded in; GEOHASH re-encodes into the standard
// geohash latitude range.
var (
	geoLonRange = geoRange{geoLonMin, geoLonMax}
	geoLatRange = geoRange{geoLatMin, geoLatMax}
	geoStdLat   = geoRange{-90, 90}
)

// geoBits is a cell: step bits per axis, interleaved.
type geoBits struct {
	bits uint64
	step uint8
}

func (h geoBits) zero() bool { return h.bits == 0 && h.step == 0 }

// geoArea is the extent of a cell.
type geoArea struct {
	lon, lat geoRange
}

// geoSpread moves the 32 bits of v to the even bit positions of the result.
func geoSpread(v uint32) uint64 {
	x := uint64(v)
	x = (x | x<<16) & 0x0000FFFF0000FFFF
	x = (x | x<<8) & 0x00FF00FF00FF00FF
	x = (x | x<<4) & 0x0F0F0F0F0F0F0F0F
	x = (x | x<<2) & 0x3333333333333333
	x = (x | x<<1) & 0x5555555555555555
	return x
}

// geoSqueeze gathers the even bits of v into 32 bits.
func geoSqueeze(v uint64) uint32 {
	x := v & 0x5555555555555555
	x = (x | x>>1) & 0x3333333333333333
	x = (x | x>>2) & 0x0F0F0F0F0F0F0F0F
	x = (x | x>>4) & 0x00FF00FF00FF00FF
	x = (x | x>>8) & 0x0000FFFF0000FFFF
	x = (x | x>>16) & 0x00000000FFFFFFFF
	return uint32(x)
}

// geoInterleave puts lat on the even bits and lon on the odd bits.
func geoInterleave(lat, lon uint32) uint64 { return geoSpread(lat) | geoSpread(lon)<<1 }

// geoEncode finds the cell of the given step holding a point, within the
// given ranges. ok is false outside Redis's supported coordinates.
func geoEncode(lonR, latR geoRange, lon, lat float64, step uint8) (geoBits, bool) {
	if step == 0 || step > 32 {
		return geoBits{}, false
	}
	if lon > geoLonMax || lon < geoLonMin || lat > geoLatMax || lat < geoLatMin {
		return geoBits{}, false
	}
	if lat < latR.min || lat > latR.max || lon < lonR.min || lon > lonR.max {
		return geoBits{step: step}, false
	}
	latOff := (lat - latR.min) / (latR.max - latR.min)
	lonOff := (lon - lonR.min) / (lonR.max - lonR.min)
	latOff *= float64(uint64(1) << step)
	lonOff *= float64(uint64(1) << step)
	// C truncates the doubles to uint32 here; at the top edge an offset is
	// exactly 2^step, which spills into the next bit pair as in Redis.
	return geoBits{bits: geoInterleave(uint32(latOff), uint32(lonOff)), step: step}, true
}

// geoDecode is the extent of cell h.
func geoDecode(lonR, latR geoRange, h geoBits) geoArea {
	lat := geoSqueeze(h.bits)
	lon := geoSqueeze(h.bits >> 1)
	latScale := latR.max - latR.min
	lonScale := lonR.max - lonR.min
	div := float64(uint64(1) << h.step)
	// The +1 is 32-bit arithmetic in Redis: it wraps for a garbage score.
	return geoArea{
		lat: geoRange{latR.min + (float64(lat)/div)*latScale, latR.min + (float64(lat+1)/div)*latScale},
		lon: geoRange{lonR.min + (float64(lon)/div)*lonScale, lonR.min + (float64(lon+1)/div)*lonScale},
	}
}

// center is the middle of the area, kept inside the supported coordinates.
func (a geoArea) center() (lon, lat float64) {
	lon = (a.lon.min + a.lon.max) / 2
	lon = min(max(lon, geoLonMin), geoLonMax)
	lat = (a.lat.min + a.lat.max) / 2
	lat = min(max(lat, geoLatMin), geoLatMax)
	return lon, lat
}

// geoScore is the sorted-set score of a valid point.
func geoScore(lon, lat float64) float64 {
	h, _ := geoEncode(geoLonRange, geoLatRange, lon, lat, geoStepMax)
	return float64(h.bits)
}

// geoScoreBits converts a score to the 64-bit cell as Redis's C cast does
// on x86-64, also for scores that no GEOADD produced (negative, huge).
func geoScoreBits(f float64) uint64 {
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

// geoPoint decodes a score into the point GEOPOS reports: the middle of its cell.
func geoPoint(score float64) (lon, lat float64) {
	return geoDecode(geoLonRange, geoLatRange, geoBits{bits: geoScoreBits(score), step: geoStepMax}).center()
}

// geoDistance is the great-circle distance between two points in meters
// (the haversine formula).
func geoDistance(lon1, lat1, lon2, lat2 float64) float64 {
	return geoDistanceCos(lon1, lat1, math.NaN(), lon2, lat2)
}

// geoDistanceCos is geoDistance given cos1, the cosine of the first point's
// latitude in radians when already known (NaN when not), as a search knows
// its center's.
func geoDistanceCos(lon1, lat1, cos1, lon2, lat2 float64) float64 {
	lat1r := geoDegRad(lat1)
	lon1r := geoDegRad(lon1)
	lat2r := geoDegRad(lat2)
	lon2r := geoDegRad(lon2)
	u := geoSin((lat2r - lat1r) / 2)
	v := geoSin((lon2r - lon1r) / 2)
	// Explicit conversions keep the compiler from fusing multiply-adds,
	// which would round differently from Redis.
	a := float64(u * u)
	if v != 0 { // else the product below is zero: skip the cosines
		cos2 := geoCos(lat2r)
		switch {
		case lat1r == lat2r:
			cos1 = cos2
		case math.IsNaN(cos1):
			cos1 = geoCos(lat1r)
		}
		a += float64(float64(cos1*cos2)*v) * v
	}
	return 2.0 * geoEarthRadius * geoAsin(math.Sqrt(a))
}

const geoAlphabet = "0123456789bcdefghjkmnpqrstuvwxyz"

// geoAppendHash appends the 11-character standard geohash of a score: the
// point is decoded and re-encoded with latitudes over ±90. The 52 bits give
// ten characters; the eleventh is always '0', as in Redis.
func geoAppendHash(b []byte, score float64) []byte {
	lon, lat := geoPoint(score)
	h, _ := geoEncode(geoLonRange, geoStdLat, lon, lat, geoStepMax)
	for i := 0; i < 10; i++ {
		b = append(b, geoAlphabet[(h.bits>>(52-(i+1)*5))&0x1f])
	}
	return append(b, '0')
}

// geoAppendCoord formats a coordinate as Redis replies with it: 17 decimals,
// trailing zeros (and a bare point) removed.
func geoAppendCoord(b []byte, f float64) []byte {
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

// geoAppendDistance formats a distance as Redis 7 does: scaled by 10^4,
// rounded half to even (llrint), printed with four decimals. That rounds
// differently from printf's "%.4f" when the scaled value lands on a half.
func geoAppendDistance(b []byte, d float64) []byte {
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

// geoShape is a search area around a center: a circle of radius, or a box
// of width × height, in units of conv meters.
type geoShape struct {
	lon, lat      float64
	box           bool
	radius        float64
	width, height float64
	conv          float64
	cos           float64 // cos of the center's latitude, once computed
}

// bounds is the shape's bounding box in degrees. Meridians converge toward
// the poles, so the box takes its longitude span from the edge nearer the
// pole (or farther from it: the bottom edge in the southern hemisphere).
func (s *geoShape) bounds() (minLon, minLat, maxLon, maxLat float64) {
	h, w := s.radius, s.radius
	if s.box {
		h, w = s.height/2, s.width/2
	}
	h *= s.conv
	w *= s.conv
	latDelta := geoRadDeg(h / geoEarthRadius)
	top := geoRadDeg(w / geoEarthRadius / geoCos(geoDegRad(s.lat+latDelta)))
	bottom := geoRadDeg(w / geoEarthRadius / geoCos(geoDegRad(s.lat-latDelta)))
	d := top
	if s.lat < 0 {
		d = bottom
	}
	return s.lon - d, s.lat - latDelta, s.lon + d, s.lat + latDelta
}

// contains reports whether a point is in the shape, and its distance from
// the center in meters.
func (s *geoShape) contains(lon, lat float64) (float64, bool) {
	if s.cos == 0 {
		s.cos = geoCos(geoDegRad(s.lat))
	}
	if !s.box {
		d := geoDistanceCos(s.lon, s.lat, s.cos, lon, lat)
		return d, d <= s.radius*s.conv
	}
	lonDist := geoDistance(lon, lat, s.lon, lat)
	latDist := geoDistance(lon, lat, lon, s.lat)
	if lonDist > s.width*s.conv/2 || latDist > s.height*s.conv/2 {
		return 0, false
	}
	return geoDistanceCos(s.lon, s.lat, s.cos, lon, lat), true
}

// geoEstimateStep picks the cell size for a search of the given reach: the
// finest step whose cells are still about as wide as the reach, coarser
// near the poles.
func geoEstimateStep(meters, lat float64) uint8 {
	if meters == 0 {
		return 26
	}
	step := 1
	for meters < geoMercatorMax {
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

// geoMove shifts a cell by one along one axis (odd bits: longitude, even
// bits: latitude), wrapping around within its step.
func geoMove(h geoBits, d int, axis, other uint64) geoBits {
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
	return geoBits{bits: a | o, step: h.step}
}

const (
	geoOddBits  = 0xaaaaaaaaaaaaaaaa
	geoEvenBits = 0x5555555555555555
)

func geoNeighbor(h geoBits, dx, dy int) geoBits {
	h = geoMove(h, dx, geoOddBits, geoEvenBits)
	return geoMove(h, dy, geoEvenBits, geoOddBits)
}

// geoScoreRange is the range of scores [lo, hi) of the points in cell h.
func geoScoreRange(h geoBits) (lo, hi uint64) {
	shift := 52 - uint(h.step)*2
	return h.bits << shift, (h.bits + 1) << shift
}

// geoCells returns the cells a search scans, in the order Redis scans them:
// the center's cell, then north, south, east, west, north-east, north-west,
// south-east, south-west. Cells that cannot hold a match are zero, and a
// cell equal to the one scanned before it is dropped, as Redis does; zero
// cells are left out.
func geoCells(s *geoShape) []geoBits {
	minLon, minLat, maxLon, maxLat := s.bounds()
	reach := s.radius
	if s.box {
		reach = math.Sqrt(float64((s.width/2)*(s.width/2)) + float64((s.height/2)*(s.height/2)))
	}
	reach *= s.conv
	step := geoEstimateStep(reach, s.lat)

	around := func(step uint8) (geoBits, [8]geoBits, geoArea) {
		h, _ := geoEncode(geoLonRange, geoLatRange, s.lon, s.lat, step)
		n := [8]geoBits{
			geoNeighbor(h, 0, 1), geoNeighbor(h, 0, -1), geoNeighbor(h, 1, 0), geoNeighbor(h, -1, 0),
			geoNeighbor(h, 1, 1), geoNeighbor(h, -1, 1), geoNeighbor(h, 1, -1), geoNeighbor(h, -1, -1),
		}
		return h, n, geoDecode(geoLonRange, geoLatRange, h)
	}
	const north, south, east, west, ne, nw, se, sw = 0, 1, 2, 3, 4, 5, 6, 7
	h, n, area := around(step)
	// Near a cell's edge the neighbors may not reach across the whole
	// bounding box: one step coarser then.
	decrease := geoDecode(geoLonRange, geoLatRange, n[north]).lat.max < maxLat ||
		geoDecode(geoLonRange, geoLatRange, n[south]).lat.min > minLat ||
		geoDecode(geoLonRange, geoLatRange, n[east]).lon.max < maxLon ||
		geoDecode(geoLonRange, geoLatRange, n[west]).lon.min > minLon
	if step > 1 && decrease {
		step--
		h, n, area = around(step)
	}
	if step >= 2 {
		drop := func(ids ...int) {
			for _, i := range ids {
				n[i] = geoBits{}
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
	all := [9]geoBits{h, n[north], n[south], n[east], n[west], n[ne], n[nw], n[se], n[sw]}
	out := make([]geoBits, 0, 9)
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

// geoDD is an unevaluated sum hi+lo with |lo| <= ulp(hi)/2.
type geoDD struct{ hi, lo float64 }

func geoTwoSum(a, b float64) geoDD {
	s := a + b
	bb := s - a
	return geoDD{s, (a - (s - bb)) + (b - bb)}
}

func geoFastTwoSum(a, b float64) geoDD { // |a| >= |b|
	s := a + b
	return geoDD{s, b - (s - a)}
}

func geoTwoProd(a, b float64) geoDD {
	p := a * b
	return geoDD{p, math.FMA(a, b, -p)}
}

func (a geoDD) add(b geoDD) geoDD {
	s := geoTwoSum(a.hi, b.hi)
	return geoFastTwoSum(s.hi, s.lo+(a.lo+b.lo))
}

func (a geoDD) mul(b geoDD) geoDD {
	p := geoTwoProd(a.hi, b.hi)
	return geoFastTwoSum(p.hi, p.lo+(a.hi*b.lo+a.lo*b.hi))
}

func (a geoDD) neg() geoDD { return geoDD{-a.hi, -a.lo} }

// geoTrig holds π/2 in three parts and sin, cos of j/64 for j = 0..51, the
// points arguments are reduced around, computed once with math/big.
var geoTrig struct {
	once       sync.Once
	pio2       [3]float64
	sinJ, cosJ [52]geoDD
}

func geoTrigInit() {
	const prec = 256
	// π to 100 decimals, far more than the 160 bits used.
	pi, _, _ := big.ParseFloat("3.1415926535897932384626433832795028841971693993751058209749445923078164062862089986280348253421170679", 10, prec, big.ToNearestEven)
	rest := new(big.Float).SetPrec(prec).Quo(pi, big.NewFloat(2))
	for i := range geoTrig.pio2 {
		geoTrig.pio2[i], _ = rest.Float64()
		rest.Sub(rest, new(big.Float).SetFloat64(geoTrig.pio2[i]))
	}
	split := func(f *big.Float) geoDD {
		hi, _ := f.Float64()
		lo, _ := new(big.Float).SetPrec(prec).Sub(f, new(big.Float).SetFloat64(hi)).Float64()
		return geoDD{hi, lo}
	}
	for j := range geoTrig.sinJ {
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
		geoTrig.sinJ[j], geoTrig.cosJ[j] = split(sin), split(cos)
	}
}

// geoTrigDD returns sin x (shift 0) or cos x (shift 1, as sin(x + π/2))
// in double-double precision, for |x| <= 8; ok is false beyond.
func geoTrigDD(x float64, shift int) (v geoDD, ok bool) {
	if !(math.Abs(x) <= 8) {
		return geoDD{}, false
	}
	geoTrig.once.Do(geoTrigInit)
	p := &geoTrig.pio2
	// r = x - k·π/2, exactly enough: k·p[0] is taken as an exact product,
	// and x - k·p[0] is exact since the two are within a factor of two.
	k := math.Round(x * (2 / math.Pi))
	kp := geoTwoProd(k, p[0])
	r := geoTwoSum(x-kp.hi, -kp.lo)
	r = r.add(geoTwoProd(-k, p[1]))
	r = r.add(geoDD{-k * p[2], 0})
	// r = j/64 + t with |t| <= 1/128; r.hi - j/64 is exact for the same reason.
	j := math.Round(r.hi * 64)
	t := geoFastTwoSum(r.hi-j/64, r.lo)
	th := t.hi
	t2 := th * th
	// sin t = t + t³·P(t²), cos t = 1 - t²/2 + t⁴·Q(t²): the polynomial
	// parts are below 2^-20 of the result, so double precision does for them.
	sp := th * t2 * (-1.0/6 + t2*(1.0/120+t2*(-1.0/5040+t2*(1.0/362880+t2*(-1.0/39916800)))))
	sinT := t.add(geoDD{sp, 0})
	half := geoTwoProd(th, th)
	half = geoFastTwoSum(half.hi, half.lo+2*th*t.lo)
	half = geoDD{half.hi / 2, half.lo / 2}
	cq := t2 * t2 * (1.0/24 + t2*(-1.0/720+t2*(1.0/40320+t2*(-1.0/3628800+t2*(1.0/479001600)))))
	cosT := geoDD{1, 0}.add(half.neg()).add(geoDD{cq, 0})
	ji := int(j)
	if ji < 0 {
		ji = -ji
	}
	sa, ca := geoTrig.sinJ[ji], geoTrig.cosJ[ji]
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

// geoSin is sin x correctly rounded (math.Sin beyond |x| <= 8).
func geoSin(x float64) float64 {
	if x == 0 {
		return x
	}
	s, ok := geoTrigDD(x, 0)
	if !ok {
		return math.Sin(x)
	}
	return s.hi + s.lo
}

// geoCos is cos x correctly rounded (math.Cos beyond |x| <= 8).
func geoCos(x float64) float64 {
	c, ok := geoTrigDD(x, 1)
	if !ok {
		return math.Cos(x)
	}
	return c.hi + c.lo
}

// geoAsin is arcsine correctly rounded: a first approximation refined by
// one Newton step on sin y = x in double-double precision.
func geoAsin(x float64) float64 {
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
	s, _ := geoTrigDD(y, 0)
	d := geoTwoSum(x, -s.hi).add(geoDD{-s.lo, 0})
	return y + (d.hi+d.lo)/math.Cos(y)
}
