package engine_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every line of the README's Go snippets is a line of an Example function that go test
// compiles and runs, so the README cannot drift from code that works.
func TestReadmeGoSnippetsAreExamples(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	examples := map[string]bool{}
	files, err := filepath.Glob("../engine/*example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob("../engine/*/example_test.go")
	for _, f := range append(files, more...) {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(src), "\n") {
			examples[normalize(line)] = true
		}
	}
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(readme), -1)
	if len(blocks) == 0 {
		t.Fatal("the README has no Go snippets")
	}
	for _, b := range blocks {
		for _, line := range strings.Split(b[1], "\n") {
			if l := normalize(line); l != "" && !examples[l] {
				t.Errorf("README Go line %q is in no Example function", strings.TrimSpace(line))
			}
		}
	}
}

// normalize drops indentation and runs of spaces (gofmt aligns comments differently in a
// shorter snippet).
func normalize(line string) string {
	return strings.Join(strings.Fields(line), " ")
}
