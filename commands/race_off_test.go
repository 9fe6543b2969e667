//go:build !race

package commands

const raceOn = false
