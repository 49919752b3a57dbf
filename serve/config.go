package serve

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"

	"github.com/fluxcore/fluxcore/engine/fno"
	"github.com/fluxcore/fluxcore/engine/limits"
)

// ModelConfig is a model's optional DIR/<name>/config.json. Every field may be left out.
type ModelConfig struct {
	// MaxBatchSize is the most samples one execution takes: the largest batch the dynamic
	// batcher forms and the largest batch axis a request may have. Default and ceiling:
	// the server's --max-batch.
	MaxBatchSize int `json:"max_batch_size"`
	// Instances is the number of executions that may run at once (default 2), so that the
	// engine never idles while one batch's results travel back.
	Instances int `json:"instances"`
	// Grids are the spatial grids built when the model loads; a request of another grid
	// builds its runners on first use, up to MaxGrids grids in all (default 4).
	Grids    [][]int `json:"grids"`
	MaxGrids int     `json:"max_grids"`
	// Input and Output name the tensors (default "input" and "output").
	Input  string `json:"input"`
	Output string `json:"output"`
	// BCOutputOnly imposes the boundary condition on the output alone (fluxcore fno's
	// --bc-output-only), for plain checkpoints.
	BCOutputOnly bool `json:"bc_output_only"`
	// FNO holds the checkpoint's hyper-parameters as `fluxcore fno --config` reads them:
	// padding, grid_lb, grid_ub, grid_endpoint and bc.
	FNO json.RawMessage `json:"fno"`
}

// Defaults that a config leaves out.
const (
	defaultInstances = 2
	defaultMaxGrids  = 4
	maxInstances     = 64
	maxGridsCeiling  = 64
)

// modelName is what a model's directory may be called: it appears in URLs and metrics.
var modelName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)

// CheckModelName refuses a name that could leave the repository or confuse a URL.
func CheckModelName(name string) error {
	if !modelName.MatchString(name) || name == "." || name == ".." {
		return fmt.Errorf("model name %q: want 1 to 128 letters, digits, '_', '.' or '-', not starting with '.', '_' or '-'", name)
	}
	return nil
}

// readModelConfig reads dir's config.json (a missing file is every default) and checks it
// against the server's largest batch.
func readModelConfig(dir string, serverMaxBatch int) (ModelConfig, fno.Overrides, error) {
	c := ModelConfig{}
	path := filepath.Join(dir, "config.json")
	raw, err := limits.ReadSmallFile(path, limits.MaxJSONBytes)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return c, fno.Overrides{}, err
	default:
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			return c, fno.Overrides{}, fmt.Errorf("%s: %w", path, err)
		}
	}
	if err := c.fill(serverMaxBatch); err != nil {
		return c, fno.Overrides{}, fmt.Errorf("%s: %w", path, err)
	}
	var hyper fno.Overrides
	if c.FNO != nil {
		if hyper, err = fno.ParseConfig(path+": fno", c.FNO); err != nil {
			return c, hyper, err
		}
	}
	return c, hyper, nil
}

// fill sets the defaults and checks the ranges.
func (c *ModelConfig) fill(serverMaxBatch int) error {
	if c.MaxBatchSize == 0 {
		c.MaxBatchSize = serverMaxBatch
	}
	if c.Instances == 0 {
		c.Instances = defaultInstances
	}
	if c.MaxGrids == 0 {
		c.MaxGrids = max(defaultMaxGrids, len(c.Grids))
	}
	c.Input, c.Output = cmp.Or(c.Input, "input"), cmp.Or(c.Output, "output")
	switch {
	case c.MaxBatchSize < 1 || c.MaxBatchSize > serverMaxBatch:
		return fmt.Errorf("max_batch_size %d, want 1..%d (the server's --max-batch)", c.MaxBatchSize, serverMaxBatch)
	case c.Instances < 1 || c.Instances > maxInstances:
		return fmt.Errorf("instances %d, want 1..%d", c.Instances, maxInstances)
	case c.MaxGrids < len(c.Grids) || c.MaxGrids > maxGridsCeiling:
		return fmt.Errorf("max_grids %d, want %d..%d (at least the %d grids listed)", c.MaxGrids, len(c.Grids), maxGridsCeiling, len(c.Grids))
	case c.Input == c.Output:
		return fmt.Errorf("input and output are both named %q", c.Input)
	case slices.Contains(faceNames, c.Input) || slices.Contains(faceNames, c.Output):
		return fmt.Errorf("input %q and output %q may not take the boundary inputs' names %v", c.Input, c.Output, faceNames)
	}
	return nil
}
