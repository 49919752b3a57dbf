//go:build race

package fno_test

const raceEnabled = true
