// Package fno runs Fourier Neural Operators trained in PyTorch: it loads a safetensors
// state_dict, recognises its layout from the key names, and runs the forward pass on any
// engine backend as a chain of dense operations (GEMMs with fused epilogues, truncated DFTs,
// channel mixing). BOON boundary corrections (Saad et al., ICLR 2023) wrap the layers when
// the checkpoint is a BOON model or when a boundary condition is asked for.
package fno

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/fluxcore/fluxcore/internal/safetensors"
)

// Layout is the family of code a checkpoint came from.
type Layout string

const (
	// LayoutZongyi is the FNO reference scripts (fourier_1d/2d/3d.py): fc0, conv{i}.weights*,
	// w{i}, fc1, fc2.
	LayoutZongyi Layout = "zongyi"
	// LayoutBOON is amazon-science/boon's BOON_FNO{1,2,3}d: the same layers reached through
	// conv_correction{i}.layer and w_correction{i}.layer.
	LayoutBOON Layout = "boon"
)

// Config holds the hyper-parameters a forward pass needs beyond the tensors.
type Config struct {
	// Padding is the number of zero points appended on the right of every spatial axis
	// after lifting, cropped again before projection.
	Padding int
	// GridLB and GridUB bound the coordinate channels appended to the input, spaced as
	// linspace(lb, ub, n) with the endpoint when GridEndpoint is set, without it otherwise.
	GridLB, GridUB float64
	GridEndpoint   bool
}

// Setting records where one hyper-parameter's value came from.
type Setting struct {
	Name, Value, Source string // Source: "flag", "config", "metadata" or "default"
}

// Layer is one Fourier layer: a spectral convolution plus a pointwise (1×1) convolution.
type Layer struct {
	// Spectral holds the complex weights [in, out, K₀, (K₁,) M] in the order of the plan's
	// kept modes: each axis's corner blocks concatenated as the reference's weights1..4.
	Spectral []complex64
	// Pointwise is [out, in] and PointwiseBias [out].
	Pointwise, PointwiseBias []float32
}

// Model is a loaded checkpoint.
type Model struct {
	Layout Layout
	Dims   int   // 1, 2 or 3
	Modes  []int // per axis, as the reference's modes1..3
	Width  int
	// InChannels is the number of input channels the caller supplies (the grid channels are
	// added by the model); OutChannels the number it returns.
	InChannels, OutChannels int
	Config                  Config
	// Settings lists every hyper-parameter with its source, for "used defaults" reports.
	Settings []Setting

	Lift, LiftBias       []float32 // [width, in+dims]
	Layers               []Layer
	Hidden, HiddenBias   []float32 // [hidden, width]
	Project, ProjectBias []float32 // [out, hidden]
	HiddenWidth          int

	// BOON is the boundary condition a BOON checkpoint was trained with ("" for plain FNO).
	BOON BoundaryKind
}

// Overrides are hyper-parameters from a --config file or flags; nil fields are unset.
type Overrides struct {
	Padding        *int
	GridLB, GridUB *float64
	GridEndpoint   *bool
	BC             *BoundaryKind
}

// Load reads a checkpoint. cfg and flags override the file's metadata, flags winning; what
// none of them sets falls back to the reference scripts' defaults, and Settings says which.
func Load(path string, cfg, flags Overrides) (*Model, error) {
	f, err := safetensors.Open(path)
	if err != nil {
		return nil, fmt.Errorf("fno: load %q: %w", path, err)
	}
	m, err := fromFile(f, cfg, flags)
	if err != nil {
		return nil, fmt.Errorf("fno: load %q: %w", path, err)
	}
	return m, nil
}

var layerKeyRE = regexp.MustCompile(`^(?:conv|conv_correction)(\d+)\.`)

func fromFile(f *safetensors.File, cfg, flags Overrides) (*Model, error) {
	m := &Model{}
	prefixConv, prefixW := "conv%d.", "w%d."
	switch {
	case f.Tensor("conv_correction0.layer.weights1") != nil:
		m.Layout = LayoutBOON
		prefixConv, prefixW = "conv_correction%d.layer.", "w_correction%d.layer."
	case f.Tensor("conv0.weights1") != nil:
		m.Layout = LayoutZongyi
	case f.Tensor("fno_blocks.convs.0.weight") != nil || f.Tensor("fno_blocks.convs.weight") != nil:
		return nil, fmt.Errorf("layout: neuraloperator FNO checkpoints are recognised but not supported yet")
	default:
		return nil, fmt.Errorf("layout: no conv0.weights1 or conv_correction0.layer.weights1: not an FNO or BOON state_dict (keys: %s)",
			summarize(f.Names()))
	}
	layers := 0
	for _, name := range f.Names() {
		if mm := layerKeyRE.FindStringSubmatch(name); mm != nil {
			i, _ := strconv.Atoi(mm[1])
			layers = max(layers, i+1)
		}
	}

	var err error
	if m.Lift, m.LiftBias, err = linear(f, "fc0"); err != nil {
		return nil, err
	}
	m.Width = len(m.LiftBias)
	liftIn := len(m.Lift) / m.Width
	if m.Hidden, m.HiddenBias, err = linear(f, "fc1"); err != nil {
		return nil, err
	}
	m.HiddenWidth = len(m.HiddenBias)
	if len(m.Hidden) != m.HiddenWidth*m.Width {
		return nil, fmt.Errorf("tensor %q: %d values, want [%d, %d]", "fc1.weight", len(m.Hidden), m.HiddenWidth, m.Width)
	}
	if m.Project, m.ProjectBias, err = linear(f, "fc2"); err != nil {
		return nil, err
	}
	m.OutChannels = len(m.ProjectBias)
	if len(m.Project) != m.OutChannels*m.HiddenWidth {
		return nil, fmt.Errorf("tensor %q: %d values, want [%d, %d]", "fc2.weight", len(m.Project), m.OutChannels, m.HiddenWidth)
	}

	// The spectral weights fix the dimension and the modes: [in, out, m₁, (m₂, m₃)].
	w1 := f.Tensor(fmt.Sprintf(prefixConv, 0) + "weights1")
	_, shape, err := w1.Complex64()
	if err != nil {
		return nil, err
	}
	m.Dims = len(shape) - 2
	if m.Dims < 1 || m.Dims > 3 || shape[0] != m.Width || shape[1] != m.Width {
		return nil, fmt.Errorf("tensor %q: complex shape %v, want [%d, %d, modes...] with 1 to 3 mode axes", w1.Name, shape, m.Width, m.Width)
	}
	m.Modes = shape[2:]
	m.InChannels = liftIn - m.Dims
	if m.InChannels < 1 {
		return nil, fmt.Errorf("tensor %q: %d input features, fewer than the %d grid channels plus one", "fc0.weight", liftIn, m.Dims)
	}
	blocks := 1 << (m.Dims - 1) // weights1..2^(d−1): corner blocks of the outer axes
	for i := range layers {
		var l Layer
		if l.Spectral, err = spectralWeights(f, fmt.Sprintf(prefixConv, i), blocks, m.Width, m.Modes); err != nil {
			return nil, err
		}
		wName := fmt.Sprintf(prefixW, i)
		if l.Pointwise, l.PointwiseBias, err = linear(f, strings.TrimSuffix(wName, ".")); err != nil {
			return nil, err
		}
		if len(l.Pointwise) != m.Width*m.Width || len(l.PointwiseBias) != m.Width {
			return nil, fmt.Errorf("tensor %q: %d values, want a %d×%d 1×1 convolution", wName+"weight", len(l.Pointwise), m.Width, m.Width)
		}
		m.Layers = append(m.Layers, l)
	}
	return m, m.configure(f.Metadata, cfg, flags)
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
		case *int:
			if v != nil {
				s := strconv.Itoa(*v)
				return &s
			}
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
	// The reference scripts: fourier_2d.py and fourier_3d.py pad by 9 and 6; fourier_1d.py
	// and BOON do not pad; every grid spans [0, 1] with the endpoint.
	defPad := map[int]string{1: "0", 2: "9", 3: "6"}[m.Dims]
	if m.Layout == LayoutBOON {
		defPad = "0"
	}
	pad := pick("padding", defPad, str(flags.Padding), str(cfg.Padding))
	lb := pick("grid_lb", "0", str(flags.GridLB), str(cfg.GridLB))
	ub := pick("grid_ub", "1", str(flags.GridUB), str(cfg.GridUB))
	endpoint := pick("grid_endpoint", "true", str(flags.GridEndpoint), str(cfg.GridEndpoint))
	var err error
	if m.Config.Padding, err = strconv.Atoi(pad); err != nil || m.Config.Padding < 0 {
		return fmt.Errorf("padding %q: want an integer ≥ 0", pad)
	}
	if m.Config.GridLB, err = strconv.ParseFloat(lb, 64); err != nil {
		return fmt.Errorf("grid_lb %q: %w", lb, err)
	}
	if m.Config.GridUB, err = strconv.ParseFloat(ub, 64); err != nil {
		return fmt.Errorf("grid_ub %q: %w", ub, err)
	}
	if m.Config.GridEndpoint, err = strconv.ParseBool(endpoint); err != nil {
		return fmt.Errorf("grid_endpoint %q: want true or false", endpoint)
	}
	if m.Layout == LayoutBOON {
		bc := pick("bc", "dirichlet", str(flags.BC), str(cfg.BC))
		if m.BOON, err = ParseBoundaryKind(bc); err != nil {
			return err
		}
		if m.Dims != 1 {
			return fmt.Errorf("BOON_FNO%dd checkpoints are not supported yet (BOON_FNO1d is)", m.Dims)
		}
	}
	return nil
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

// linear reads name.weight ([out, in] or a 1×1 convolution's [out, in, 1, ...]) and name.bias.
func linear(f *safetensors.File, name string) (w, b []float32, err error) {
	wt, bt := f.Tensor(name+".weight"), f.Tensor(name+".bias")
	if wt == nil || bt == nil {
		return nil, nil, fmt.Errorf("tensor %q or %q missing", name+".weight", name+".bias")
	}
	if len(wt.Shape) < 2 || len(bt.Shape) != 1 || wt.Shape[0] != bt.Shape[0] {
		return nil, nil, fmt.Errorf("tensor %q: shape %v with bias %v, want [out, in, 1...] and [out]", wt.Name, wt.Shape, bt.Shape)
	}
	for _, d := range wt.Shape[2:] {
		if d != 1 {
			return nil, nil, fmt.Errorf("tensor %q: shape %v is not a 1×1 convolution", wt.Name, wt.Shape)
		}
	}
	if w, err = wt.Float32(); err != nil {
		return nil, nil, err
	}
	if b, err = bt.Float32(); err != nil {
		return nil, nil, err
	}
	return w, b, nil
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
