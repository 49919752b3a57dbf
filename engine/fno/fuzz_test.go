package fno

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadConfig: no config file panics, and an accepted one parses into settings a model
// accepts or refuses with an error.
func FuzzReadConfig(f *testing.F) {
	for _, s := range []string{`{"padding": 9, "grid_lb": 0, "grid_ub": 1}`, `{"padding": "0,9", "bc": "dirichlet"}`,
		`{"padding": [0, 9], "grid_endpoint": false}`, `{"padding": 1000000}`} {
		f.Add([]byte(s))
	}
	raw, err := os.ReadFile("testdata/golden/fno1d/model.safetensors")
	if err != nil {
		f.Fatal(err)
	}
	path := filepath.Join(f.TempDir(), "config.json")
	f.Fuzz(func(t *testing.T, cfg []byte) {
		os.WriteFile(path, cfg, 0o644)
		o, err := ReadConfig(path)
		if err != nil {
			return
		}
		m, err := Parse("fno1d", raw, o, Overrides{})
		if err != nil {
			return
		}
		for a, p := range m.Config.Padding {
			if p < 0 || p > 65536 {
				t.Fatalf("accepted padding %d on axis %d", p, a)
			}
		}
	})
}
