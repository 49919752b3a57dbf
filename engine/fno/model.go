// Package fno runs Fourier Neural Operators trained in PyTorch: it loads a safetensors
// state_dict, recognises its layout from the key names, and runs the forward pass on any
// engine backend as a chain of dense operations (GEMMs with fused epilogues, truncated DFTs,
// channel mixing). BOON boundary corrections (Saad et al., ICLR 2023) wrap the layers when
// the checkpoint is a BOON model or when a boundary condition is asked for.
package fno

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/fluxcore/fluxcore/engine/limits"
	"github.com/fluxcore/fluxcore/fft"
	"github.com/fluxcore/fluxcore/internal/safetensors"
)

// maxGridDims is the most spatial axes a model has: the FNO and BOON reference code stops at 3-D.
const maxGridDims = 3

// Layout is the family of code a checkpoint came from.
type Layout string

const (
	// LayoutZongyi is the FNO reference scripts (fourier_1d/2d/3d.py): fc0, conv{i}.weights*,
	// w{i}, fc1, fc2.
	LayoutZongyi Layout = "zongyi"
	// LayoutBOON is amazon-science/boon's BOON_FNO{1,2,3}d: the same layers reached through
	// conv_correction{i}.layer and w_correction{i}.layer.
	LayoutBOON Layout = "boon"
	// LayoutNeuralop is neuraloperator ≥ 1.0's FNO with dense spectral weights and its default
	// block: lifting.fcs.*, fno_blocks.convs.{i}, fno_blocks.fno_skips.{i}.conv,
	// fno_blocks.channel_mlp.{i}.fcs.*, fno_blocks.channel_mlp_skips.{i}, projection.fcs.*.
	LayoutNeuralop Layout = "neuraloperator"
)

// Config holds the hyper-parameters a forward pass needs beyond the tensors.
type Config struct {
	// Padding is the number of zero points appended on the right of each spatial axis after
	// lifting, cropped again before projection: fourier_2d.py pads both axes, fourier_3d.py
	// and BOON's 2-D/3-D models the last (time) axis only.
	Padding []int
	// GridLB and GridUB bound the coordinate channels appended to the input, spaced as
	// linspace(lb, ub, n) with the endpoint when GridEndpoint is set, without it otherwise.
	GridLB, GridUB float64
	GridEndpoint   bool
}

// Setting records where one hyper-parameter's value came from.
type Setting struct {
	Name, Value, Source string // Source: "flag", "config", "metadata" or "default"
}

// Dense is a 1×1 convolution, a linear map over channels applied at every grid point:
// W is [Out, In] and Bias [Out], or nil for none.
type Dense struct {
	In, Out int
	W, Bias []float32
}

// Layer is one Fourier layer.
//
// In the reference layout it is y = act(K(x) + W·x + b). In neuraloperator's default block
// (post-activation, linear fno_skip, soft-gated channel MLP) it is
//
//	y = act(K(x) + b_K + S·x),   out = act(MLP(y) + g ⊙ x)
//
// with act the GELU on every layer but the last; Pointwise then holds S with b_K as its bias
// and Gate is diag(g).
type Layer struct {
	// Spectral holds the complex weights [in, out, K₀, (K₁,) M] in the order of the plan's
	// kept modes: each axis's corner blocks concatenated as the reference's weights1..4, or
	// neuraloperator's weight tensor as it is.
	Spectral  []complex64
	Pointwise Dense
	// ChannelMLP is empty in the reference layout; Gate is then nil.
	ChannelMLP []Dense
	Gate       *Dense
}

// Model is a loaded checkpoint. It is read-only once loaded, so goroutines may share it;
// each makes its own Runner.
type Model struct {
	Layout Layout
	Dims   int // 1, 2 or 3
	// Modes are the weight tensor's mode extents per axis: the reference's modes1..3 (each
	// outer axis keeps twice that, both corners), or neuraloperator's kept counts.
	Modes []int
	Width int
	// InChannels is the number of input channels the caller supplies (the grid channels are
	// added by the model); OutChannels the number it returns.
	InChannels, OutChannels int
	Config                  Config
	// Settings lists every hyper-parameter with its source, for "used defaults" reports.
	Settings []Setting

	// Lift and Project are channel MLPs (a GELU between consecutive layers): the reference's
	// fc0 and fc1, fc2, or neuraloperator's lifting and projection.
	Lift, Project []Dense
	Layers        []Layer

	// BOON is the boundary condition a BOON checkpoint was trained with ("" for plain FNO).
	BOON BoundaryKind
}

// keptFrequencies is the plan's selection on each outer axis of the padded grid, read by
// the forward transform and written by the inverse.
func (m *Model) keptFrequencies(padded []int) (forward, inverse [][]int, err error) {
	for a, n := range padded[:m.Dims-1] {
		k := m.Modes[a]
		if m.Layout == LayoutNeuralop {
			if k > n {
				return nil, nil, fmt.Errorf("fno: axis %d keeps %d modes, more than its %d points", a, k, n)
			}
			f, i := fft.ShiftedCenter(n, k)
			forward, inverse = append(forward, f), append(inverse, i)
			continue
		}
		if 2*k > n {
			return nil, nil, fmt.Errorf("fno: axis %d keeps 2×%d modes, more than its %d points (with padding)", a, k, n)
		}
		forward, inverse = append(forward, fft.Corners(n, k)), append(inverse, fft.Corners(n, k))
	}
	if last := padded[m.Dims-1]; m.Modes[m.Dims-1] > last/2+1 {
		return nil, nil, fmt.Errorf("fno: last axis keeps %d modes, more than the %d a real FFT of %d points has",
			m.Modes[m.Dims-1], last/2+1, last)
	}
	return forward, inverse, nil
}

// Overrides are hyper-parameters from a --config file or flags; nil fields are unset.
type Overrides struct {
	// Padding is one count ("9", for the axes the architecture pads) or one per axis ("0,0,6").
	Padding        *string
	GridLB, GridUB *float64
	GridEndpoint   *bool
	BC             *BoundaryKind
}

// Load reads a checkpoint. cfg and flags override the file's metadata, flags winning; what
// none of them sets falls back to the reference scripts' defaults, and Settings says which.
// The file is charged to ctx's memory budget (limits.From).
func Load(ctx context.Context, path string, cfg, flags Overrides) (*Model, error) {
	raw, err := limits.ReadFile(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("fno: load %q: %w", path, err)
	}
	return Parse(path, raw, cfg, flags)
}

// Parse is Load for a safetensors file already in memory (an embedded model, say); name
// labels its errors.
func Parse(name string, raw []byte, cfg, flags Overrides) (*Model, error) {
	f, err := safetensors.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("fno: load %q: safetensors: %w", name, err)
	}
	m, err := fromFile(f, cfg, flags)
	if err != nil {
		return nil, fmt.Errorf("fno: load %q: %w", name, err)
	}
	return m, nil
}

var layerKeyRE = regexp.MustCompile(`^(?:conv|conv_correction)(\d+)\.`)

func fromFile(f *safetensors.File, cfg, flags Overrides) (*Model, error) {
	var m *Model
	var err error
	switch {
	case f.Tensor("conv_correction0.layer.weights1") != nil:
		m, err = fromReference(f, LayoutBOON, "conv_correction%d.layer.", "w_correction%d.layer.")
	case f.Tensor("conv0.weights1") != nil:
		m, err = fromReference(f, LayoutZongyi, "conv%d.", "w%d.")
	case neuralopSpectral(f, 0) != nil:
		m, err = fromNeuralop(f)
	default:
		return nil, fmt.Errorf("layout: no conv0.weights1, conv_correction0.layer.weights1 or fno_blocks.convs.0.weight: "+
			"not an FNO, BOON or neuraloperator state_dict (keys: %s)", summarize(f.Names()))
	}
	if err != nil {
		return nil, err
	}
	return m, m.configure(f.Metadata, cfg, flags)
}

// fromReference reads the FNO reference scripts' layout and BOON's, which reaches the same
// layers under other names.
func fromReference(f *safetensors.File, layout Layout, prefixConv, prefixW string) (*Model, error) {
	m := &Model{Layout: layout}
	layers := 0
	for _, name := range f.Names() {
		if mm := layerKeyRE.FindStringSubmatch(name); mm != nil {
			i, _ := strconv.Atoi(mm[1])
			layers = max(layers, i+1)
		}
	}
	fc := make([]Dense, 3)
	for i := range fc {
		var err error
		if fc[i], err = dense(f, fmt.Sprintf("fc%d", i), true); err != nil {
			return nil, err
		}
	}
	if err := checkChain("fc1, fc2", fc[1:]); err != nil {
		return nil, err
	}
	m.Lift, m.Project = fc[:1], fc[1:]
	m.Width = fc[0].Out

	// The spectral weights fix the dimension and the modes: [in, out, m₁, (m₂, m₃)].
	w1 := f.Tensor(fmt.Sprintf(prefixConv, 0) + "weights1")
	_, shape, err := w1.Complex64()
	if err != nil {
		return nil, err
	}
	if err := m.setShape(w1.Name, shape); err != nil {
		return nil, err
	}
	blocks := 1 << (m.Dims - 1) // weights1..2^(d−1): corner blocks of the outer axes
	for i := range layers {
		var l Layer
		if l.Spectral, err = spectralWeights(f, fmt.Sprintf(prefixConv, i), blocks, m.Width, m.Modes); err != nil {
			return nil, err
		}
		name := strings.TrimSuffix(fmt.Sprintf(prefixW, i), ".")
		if l.Pointwise, err = dense(f, name, true); err != nil {
			return nil, err
		}
		if err := l.Pointwise.expect(m.Width, m.Width); err != nil {
			return nil, fmt.Errorf("tensor %q: %w", name+".weight", err)
		}
		m.Layers = append(m.Layers, l)
	}
	return m, nil
}

// setShape takes the dimension, modes and channel counts from the first spectral weight's
// complex shape [width, width, modes...] and the lifting and projection.
func (m *Model) setShape(name string, shape []int) error {
	m.Dims = len(shape) - 2
	if m.Dims < 1 || m.Dims > maxGridDims || shape[0] != m.Width || shape[1] != m.Width {
		return fmt.Errorf("tensor %q: complex shape %v, want [%d, %d, modes...] with 1 to 3 mode axes", name, shape, m.Width, m.Width)
	}
	m.Modes = shape[2:]
	m.InChannels = m.Lift[0].In - m.Dims
	if m.InChannels < 1 {
		return fmt.Errorf("lifting takes %d input features, fewer than the %d grid channels plus one", m.Lift[0].In, m.Dims)
	}
	m.OutChannels = m.Project[len(m.Project)-1].Out
	if last := m.Lift[len(m.Lift)-1].Out; last != m.Width || m.Project[0].In != m.Width {
		return fmt.Errorf("lifting ends with %d channels and projection starts with %d; the spectral layers are %d wide",
			last, m.Project[0].In, m.Width)
	}
	return nil
}

// neuralopSpectral finds layer i's spectral weight: a plain parameter, or a dense
// factorized tensor's .tensor.
func neuralopSpectral(f *safetensors.File, i int) *safetensors.Tensor {
	name := fmt.Sprintf("fno_blocks.convs.%d.weight", i)
	if t := f.Tensor(name); t != nil {
		return t
	}
	return f.Tensor(name + ".tensor")
}

// fromNeuralop reads neuraloperator ≥ 1.0's FNO. Anything outside its default block (norms,
// other skip types, factorized weights) is refused by name rather than ignored.
func fromNeuralop(f *safetensors.File) (*Model, error) {
	m := &Model{Layout: LayoutNeuralop}
	var err error
	if m.Lift, err = channelMLP(f, "lifting.fcs."); err != nil {
		return nil, err
	}
	if m.Project, err = channelMLP(f, "projection.fcs."); err != nil {
		return nil, err
	}
	m.Width = m.Lift[len(m.Lift)-1].Out
	used := tensorSet{f: f, used: map[string]bool{}}
	used.markPrefix("lifting.fcs.")
	used.markPrefix("projection.fcs.")
	for i := 0; neuralopSpectral(f, i) != nil; i++ {
		l, err := m.neuralopLayer(f, i, &used)
		if err != nil {
			return nil, err
		}
		m.Layers = append(m.Layers, l)
	}
	if unknown := used.unused(); len(unknown) > 0 {
		return nil, fmt.Errorf("neuraloperator FNO: tensors outside the default block (norms, other skips, "+
			"factorized weights?) are not supported: %s", summarize(unknown))
	}
	return m, nil
}

// tensorSet records which tensors of a file the loader used, so that one it would ignore
// (and so run a different model) is an error.
type tensorSet struct {
	f    *safetensors.File
	used map[string]bool
}

func (t *tensorSet) mark(name string) { t.used[name] = true }

func (t *tensorSet) markPrefix(prefix string) {
	for _, name := range t.f.Names() {
		if strings.HasPrefix(name, prefix) {
			t.used[name] = true
		}
	}
}

func (t *tensorSet) unused() []string {
	var out []string
	for _, name := range t.f.Names() {
		if !t.used[name] {
			out = append(out, name)
		}
	}
	return out
}

// neuralopLayer reads Fourier layer i of a neuraloperator checkpoint: its spectral weights,
// the linear skip (carrying the spectral bias) and the optional channel MLP with its soft
// gate.
func (m *Model) neuralopLayer(f *safetensors.File, i int, used *tensorSet) (Layer, error) {
	w := neuralopSpectral(f, i)
	used.mark(w.Name)
	vals, shape, err := w.Complex64()
	if err != nil {
		return Layer{}, err
	}
	if i == 0 {
		if err := m.setShape(w.Name, shape); err != nil {
			return Layer{}, err
		}
	} else if fmt.Sprint(shape) != fmt.Sprint(append([]int{m.Width, m.Width}, m.Modes...)) {
		return Layer{}, fmt.Errorf("tensor %q: complex shape %v, want [%d, %d] + %v like layer 0", w.Name, shape, m.Width, m.Width, m.Modes)
	}
	l := Layer{Spectral: vals}
	if l.Pointwise, err = m.neuralopSkip(f, i, used); err != nil {
		return Layer{}, err
	}
	prefix := fmt.Sprintf("fno_blocks.channel_mlp.%d.fcs.", i)
	if f.Tensor(prefix+"0.weight") == nil {
		return l, nil
	}
	if l.ChannelMLP, err = channelMLP(f, prefix); err != nil {
		return Layer{}, err
	}
	if in, out := l.ChannelMLP[0].In, l.ChannelMLP[len(l.ChannelMLP)-1].Out; in != m.Width || out != m.Width {
		return Layer{}, fmt.Errorf("%s*: maps %d to %d channels, want %d to %d", prefix, in, out, m.Width, m.Width)
	}
	used.markPrefix(prefix)
	l.Gate, err = m.neuralopGate(f, i, used)
	return l, err
}

// neuralopSkip is layer i's linear fno_skip. The spectral bias is added after the inverse
// transform, where a skip bias would be, so the pointwise GEMM carries it.
func (m *Model) neuralopSkip(f *safetensors.File, i int, used *tensorSet) (Dense, error) {
	skip := fmt.Sprintf("fno_blocks.fno_skips.%d.conv", i)
	if f.Tensor(skip+".weight") == nil {
		skip = fmt.Sprintf("fno_blocks.fno_skips.%d", i)
	}
	d, err := dense(f, skip, false)
	if err != nil {
		return Dense{}, fmt.Errorf("layer %d: only the linear fno_skip is supported: %w", i, err)
	}
	if err := d.expect(m.Width, m.Width); err != nil {
		return Dense{}, fmt.Errorf("tensor %q: %w", skip+".weight", err)
	}
	if d.Bias != nil {
		return Dense{}, fmt.Errorf("tensor %q: neuraloperator's linear fno_skip has no bias", skip+".bias")
	}
	used.mark(skip + ".weight")
	if bt := f.Tensor(fmt.Sprintf("fno_blocks.convs.%d.bias", i)); bt != nil {
		used.mark(bt.Name)
		if d.Bias, err = bt.Float32(); err != nil {
			return Dense{}, err
		}
		if len(d.Bias) != m.Width {
			return Dense{}, fmt.Errorf("tensor %q: shape %v, want %d values", bt.Name, bt.Shape, m.Width)
		}
	}
	return d, nil
}

// neuralopGate is layer i's soft-gating channel_mlp_skip as a diagonal Dense.
func (m *Model) neuralopGate(f *safetensors.File, i int, used *tensorSet) (*Dense, error) {
	gateName := fmt.Sprintf("fno_blocks.channel_mlp_skips.%d.weight", i)
	gate := f.Tensor(gateName)
	if gate == nil || len(gate.Shape) < 2 || gate.Shape[0] != 1 || gate.Shape[1] != m.Width {
		return nil, fmt.Errorf("layer %d: only the soft-gating channel_mlp_skip is supported: want tensor %q of shape [1, %d, 1...]",
			i, gateName, m.Width)
	}
	used.mark(gateName)
	g, err := gate.Float32()
	if err != nil {
		return nil, err
	}
	diag := make([]float32, m.Width*m.Width)
	for c, v := range g {
		diag[c*m.Width+c] = v
	}
	return &Dense{In: m.Width, Out: m.Width, W: diag}, nil
}

// channelMLP reads prefix0, prefix1, ... as consecutive 1×1 convolutions with biases.
func channelMLP(f *safetensors.File, prefix string) ([]Dense, error) {
	var out []Dense
	for i := 0; f.Tensor(fmt.Sprintf("%s%d.weight", prefix, i)) != nil; i++ {
		d, err := dense(f, fmt.Sprintf("%s%d", prefix, i), true)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("tensor %q missing", prefix+"0.weight")
	}
	return out, checkChain(prefix+"*", out)
}

// checkChain verifies that each layer takes what the previous one gives.
func checkChain(name string, chain []Dense) error {
	for i := 1; i < len(chain); i++ {
		if chain[i].In != chain[i-1].Out {
			return fmt.Errorf("%s: layer %d takes %d channels but layer %d gives %d", name, i, chain[i].In, i-1, chain[i-1].Out)
		}
	}
	return nil
}

func (d Dense) expect(in, out int) error {
	if d.In != in || d.Out != out {
		return fmt.Errorf("a %d→%d 1×1 convolution where %d→%d is needed", d.In, d.Out, in, out)
	}
	return nil
}

// configure resolves hyper-parameters: flags, then the config file, then metadata, then the
// reference default.
func (m *Model) configure(meta map[string]string, cfg, flags Overrides) error {
	pick := func(name, def string, flag, config *string) string {
		v, src := def, "default"
		if s, ok := meta[name]; ok {
			v, src = s, "metadata"
		}
		if config != nil {
			v, src = *config, "config"
		}
		if flag != nil {
			v, src = *flag, "flag"
		}
		m.Settings = append(m.Settings, Setting{Name: name, Value: v, Source: src})
		return v
	}
	str := func(p any) *string {
		switch v := p.(type) {
		case *float64:
			if v != nil {
				s := strconv.FormatFloat(*v, 'g', -1, 64)
				return &s
			}
		case *bool:
			if v != nil {
				s := strconv.FormatBool(*v)
				return &s
			}
		case *BoundaryKind:
			if v != nil {
				s := string(*v)
				return &s
			}
		}
		return nil
	}
	// BOON checkpoints say which condition they were trained with; their padding depends on it.
	if m.Layout == LayoutBOON {
		bc := pick("bc", "dirichlet", str(flags.BC), str(cfg.BC))
		var err error
		if m.BOON, err = ParseBoundaryKind(bc); err != nil {
			return err
		}
		if m.Dims == 3 && m.BOON != Dirichlet {
			return fmt.Errorf("bc %q: BOON_FNO3d is defined for dirichlet boundaries only", bc)
		}
	}
	// The reference scripts: fourier_2d.py pads both axes by 9, fourier_3d.py the last by 6,
	// fourier_1d.py does not pad; BOON pads the last axis of its 2-D and 3-D models by 9 and
	// 6 unless periodic, and not in 1-D. Every grid spans [0, 1] with the endpoint.
	// neuraloperator's GridEmbeddingND spans [0, 1) without the endpoint and its FNO does not
	// pad by default.
	padAxes := m.paddedAxes()
	defPad, defEndpoint := map[int]string{1: "0", 2: "9", 3: "6"}[m.Dims], "true"
	switch {
	case m.Layout == LayoutBOON && (m.Dims == 1 || m.BOON == Periodic):
		defPad = "0"
	case m.Layout == LayoutNeuralop:
		defPad, defEndpoint = "0", "false"
	}
	pad := pick("padding", defPad, flags.Padding, cfg.Padding)
	lb := pick("grid_lb", "0", str(flags.GridLB), str(cfg.GridLB))
	ub := pick("grid_ub", "1", str(flags.GridUB), str(cfg.GridUB))
	endpoint := pick("grid_endpoint", defEndpoint, str(flags.GridEndpoint), str(cfg.GridEndpoint))
	var err error
	if m.Config.Padding, err = parsePadding(pad, m.Dims, padAxes); err != nil {
		return fmt.Errorf("%s %w", m.source("padding"), err)
	}
	if m.Config.GridLB, err = parseBound(lb); err != nil {
		return fmt.Errorf("%s grid_lb %w", m.source("grid_lb"), err)
	}
	if m.Config.GridUB, err = parseBound(ub); err != nil {
		return fmt.Errorf("%s grid_ub %w", m.source("grid_ub"), err)
	}
	if m.Config.GridEndpoint, err = strconv.ParseBool(endpoint); err != nil {
		return fmt.Errorf("grid_endpoint %q: want true or false", endpoint)
	}
	if m.Layout == LayoutNeuralop && slices.Max(m.Config.Padding) != 0 {
		// Its DomainPadding pads by a fraction of each axis, on both sides or one, which
		// the reference layout's right-hand padding does not express.
		return fmt.Errorf("padding %v: neuraloperator checkpoints run unpadded here (domain_padding is not supported)", m.Config.Padding)
	}
	return nil
}

// source says where the setting name came from: metadata, config, flag or default.
func (m *Model) source(name string) string {
	for _, s := range m.Settings {
		if s.Name == name {
			return s.Source
		}
	}
	return "default"
}

// parseBound reads a coordinate bound: a finite number of a size float32 coordinates hold.
func parseBound(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("%q: not a number", s)
	}
	if err := limits.CheckFloat(s, v, limits.MaxGridBound); err != nil {
		return 0, err
	}
	return v, nil
}

// paddedAxes are the axes a single padding count applies to: every axis of fourier_1d/2d.py,
// the last axis of fourier_3d.py and of BOON's 2-D and 3-D models.
func (m *Model) paddedAxes() []bool {
	axes := make([]bool, m.Dims)
	for a := range axes {
		axes[a] = m.Dims == 1 || (m.Dims == 2 && m.Layout != LayoutBOON) || a == m.Dims-1
	}
	return axes
}

// parsePadding reads one count, applied to the padded axes, or one count per axis.
func parsePadding(spec string, dims int, padAxes []bool) ([]int, error) {
	parts := strings.Split(spec, ",")
	if len(parts) != 1 && len(parts) != dims {
		return nil, fmt.Errorf("padding %q: want one count or %d (one per axis)", spec, dims)
	}
	out := make([]int, dims)
	for i, p := range parts {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || v < 0 {
			return nil, fmt.Errorf("padding %q: %q is not an integer ≥ 0", spec, p)
		}
		if err := limits.Check("padding", v, limits.MaxGridAxis); err != nil {
			return nil, err
		}
		if len(parts) == dims {
			out[i] = v
			continue
		}
		for a := range out {
			if padAxes[a] {
				out[a] = v
			}
		}
	}
	return out, nil
}

// UsedDefaults lists the settings that no flag, config or metadata gave.
func (m *Model) UsedDefaults() []Setting {
	var out []Setting
	for _, s := range m.Settings {
		if s.Source == "default" {
			out = append(out, s)
		}
	}
	return out
}

// dense reads name.weight ([out, in] or a 1×1 convolution's [out, in, 1, ...]) and, if
// present or required, name.bias ([out]).
func dense(f *safetensors.File, name string, needBias bool) (Dense, error) {
	wt, bt := f.Tensor(name+".weight"), f.Tensor(name+".bias")
	if wt == nil || (needBias && bt == nil) {
		return Dense{}, fmt.Errorf("tensor %q or %q missing", name+".weight", name+".bias")
	}
	if len(wt.Shape) < 2 || (bt != nil && (len(bt.Shape) != 1 || wt.Shape[0] != bt.Shape[0])) {
		return Dense{}, fmt.Errorf("tensor %q: shape %v, want [out, in, 1...] and a bias of [out]", wt.Name, wt.Shape)
	}
	for _, d := range wt.Shape[2:] {
		if d != 1 {
			return Dense{}, fmt.Errorf("tensor %q: shape %v is not a 1×1 convolution", wt.Name, wt.Shape)
		}
	}
	d := Dense{Out: wt.Shape[0], In: wt.Shape[1]}
	var err error
	if d.W, err = wt.Float32(); err != nil {
		return Dense{}, err
	}
	if bt != nil {
		if d.Bias, err = bt.Float32(); err != nil {
			return Dense{}, err
		}
	}
	return d, nil
}

// spectralWeights gathers weights1..blocks into one [in, out, K₀, (K₁,) M] tensor whose
// outer-axis modes follow Corners: block index bit a set means the negative corner on outer
// axis a (weights2 flips axis 0, weights3 axis 1, weights4 both), as the reference assigns
// out_ft[..., -m1:, :m2, :m3] = weights2 and so on.
func spectralWeights(f *safetensors.File, prefix string, blocks, width int, modes []int) ([]complex64, error) {
	d := len(modes)
	kept := make([]int, d) // per axis: 2m for outer axes, m for the last
	total := 1
	for a := range d {
		kept[a] = modes[a]
		if a < d-1 {
			kept[a] *= 2
		}
		total *= kept[a]
	}
	out := make([]complex64, width*width*total)
	for blk := range blocks {
		name := fmt.Sprintf("%sweights%d", prefix, blk+1)
		t := f.Tensor(name)
		if t == nil {
			return nil, fmt.Errorf("tensor %q missing (a %d-D layer has weights1..%d)", name, d, blocks)
		}
		vals, shape, err := t.Complex64()
		if err != nil {
			return nil, err
		}
		want := append([]int{width, width}, modes...)
		if fmt.Sprint(shape) != fmt.Sprint(want) {
			return nil, fmt.Errorf("tensor %q: complex shape %v, want %v", name, shape, want)
		}
		per := 1
		for _, mm := range modes {
			per *= mm
		}
		for io := range width * width {
			src := vals[io*per : (io+1)*per]
			dst := out[io*total : (io+1)*total]
			idx := make([]int, d)
			for s := range per {
				// Decompose s into block-local mode indices, last axis fastest.
				r := s
				for a := d - 1; a >= 0; a-- {
					idx[a] = r % modes[a]
					r /= modes[a]
				}
				flat := 0
				for a := range d {
					k := idx[a]
					if a < d-1 && blk>>a&1 == 1 {
						k += modes[a]
					}
					flat = flat*kept[a] + k
				}
				dst[flat] = src[s]
			}
		}
	}
	return out, nil
}

// summarize lists sorted names, the first eight of them when there are more.
func summarize(names []string) string {
	if len(names) > 8 {
		return strings.Join(names[:8], ", ") + fmt.Sprintf(", … (%d in all)", len(names))
	}
	return strings.Join(names, ", ")
}
