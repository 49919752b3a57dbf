package main

import (
	"os"
	"regexp"
	"strconv"
	"testing"
)

// The header is hand-written, so its ABI version is a second copy of engine.ABIVersion;
// this keeps the two equal.
func TestHeaderABIVersion(t *testing.T) {
	h, err := os.ReadFile("../include/fluxcore.h")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`#define FLUXCORE_ABI_VERSION (\d+)`).FindSubmatch(h)
	if m == nil {
		t.Fatal("fluxcore.h defines no FLUXCORE_ABI_VERSION")
	}
	if v, _ := strconv.Atoi(string(m[1])); v != abiVersion {
		t.Fatalf("fluxcore.h has FLUXCORE_ABI_VERSION %d, engine.ABIVersion is %d", v, abiVersion)
	}
}
