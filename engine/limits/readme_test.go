package limits

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadmeTableListsEveryLimit keeps the README's "Limits and bad input" table in step
// with this package: every exported constant must have a row with its current value, read
// from the source by the type checker so that the test holds no copy of the numbers.
func TestReadmeTableListsEveryLimit(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	names, _ := filepath.Glob("*.go")
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	pkg, err := (&types.Config{Importer: importer.ForCompiler(fset, "source", nil)}).Check("limits", fset, files, nil)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, name := range pkg.Scope().Names() {
		c, ok := pkg.Scope().Lookup(name).(*types.Const)
		if !ok || !c.Exported() {
			continue
		}
		found++
		row := "| `limits." + name + "` | " + c.Val().String() + " |"
		if !strings.Contains(string(readme), row) {
			t.Errorf("README has no row %q", row)
		}
	}
	if found < 10 {
		t.Errorf("found %d limits, expected the package's constants", found)
	}
}
