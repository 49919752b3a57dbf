package fno_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fluxcore/fluxcore/engine/cpu"
	"github.com/fluxcore/fluxcore/engine/fno"
)

// withExtraTensor copies a safetensors file and appends one F32 tensor of n zeros.
func withExtraTensor(t *testing.T, src, name string, shape []int, n int) string {
	t.Helper()
	raw, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	hlen := binary.LittleEndian.Uint64(raw)
	var header map[string]any
	if err := json.Unmarshal(raw[8:8+hlen], &header); err != nil {
		t.Fatal(err)
	}
	data := raw[8+hlen:]
	header[name] = map[string]any{"dtype": "F32", "shape": shape, "data_offsets": []int{len(data), len(data) + 4*n}}
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	out = append(append(append(out, h...), data...), make([]byte, 4*n)...)
	path := filepath.Join(t.TempDir(), "model.safetensors")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Parameters outside neuraloperator's default block would change the forward pass, so the
// loader refuses them by name instead of running a different model.
func TestNeuralopRefusesWhatItCannotRun(t *testing.T) {
	golden := "testdata/golden/neuralop1d/model.safetensors"
	norm := withExtraTensor(t, golden, "fno_blocks.norm.0.weight", []int{12}, 12)
	if _, err := fno.Load(context.Background(), norm, fno.Overrides{}, fno.Overrides{}); err == nil || !strings.Contains(err.Error(), "fno_blocks.norm.0.weight") {
		t.Errorf("a norm layer: got %v, want an error naming fno_blocks.norm.0.weight", err)
	}
	pad := "4"
	if _, err := fno.Load(context.Background(), golden, fno.Overrides{}, fno.Overrides{Padding: &pad}); err == nil || !strings.Contains(err.Error(), "domain_padding") {
		t.Errorf("padding: got %v, want an error about domain_padding", err)
	}
	m, err := fno.Load(context.Background(), golden, fno.Overrides{}, fno.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Layout != fno.LayoutNeuralop || m.Config.GridEndpoint || m.Dims != 1 || m.Modes[0] != 5 {
		t.Errorf("loaded layout %s, endpoint %v, dims %d, modes %v; want neuraloperator, false, 1, [5]",
			m.Layout, m.Config.GridEndpoint, m.Dims, m.Modes)
	}
	b, err := cpu.New(cpu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r, err := m.NewRunner(ctx, b, fno.RunnerConfig{Grid: []int{40}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, err = r.Forward(ctx, make([]float32, 40), 1, &fno.Boundary{Kind: fno.Periodic})
	if err == nil || !strings.Contains(err.Error(), "reference-layout") {
		t.Errorf("BOON corrections on a channel-MLP model: got %v", err)
	}
}
