//go:build !linux

package main

import "fmt"

func cpusOf(int) ([]int, bool) { return nil, false }

func runStallsRole(string) { fmt.Println("unavailable") }
