//go:build race

package engine

// raceDetector: the race detector makes heap-measuring tests many times
// slower; they run in full without it (the Makefile's plain run).
const raceDetector = true
