//go:build race

package resp

// raceOn: the race detector drops pooled buffers at random and makes more
// values escape, so allocation assertions do not hold under it.
const raceOn = true
