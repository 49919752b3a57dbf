package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestEntryPointsAreFresh(t *testing.T) {
	header, err := os.ReadFile("../../../" + headerPath)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Generate(header)
	if err != nil {
		t.Fatal(err)
	}
	have, err := os.ReadFile("../../../" + outputPath)
	if err != nil || !bytes.Equal(have, want) {
		t.Fatalf("%s is stale; run go run ./bindings/capi/gen", outputPath)
	}
}

func TestGenerateCastsConstPointersOnly(t *testing.T) {
	got, err := Generate([]byte("fluxcore_status fluxcore_f(const fluxcore_dl_tensor *x,\n    int64_t n, char *buf);\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := "fluxcore_status fluxcore_f(const fluxcore_dl_tensor *x, int64_t n, char *buf)\n{\n" +
		"    if (fc_forked()) return fc_forked_status();\n" +
		"    return (fluxcore_status)fcgo_f((fluxcore_dl_tensor *)x, n, buf);\n}\n"
	if !strings.Contains(string(got), want) {
		t.Fatalf("generated:\n%s\nwant it to contain:\n%s", got, want)
	}
}
