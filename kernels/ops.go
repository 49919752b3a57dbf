package kernels

// Op is one batched operation of the backends, described once. Its CPU entry point is
// defined in kernels/cpu/*.c as FC_CPU_NAME(fc_cpu_<CPU>)(<Params>), once per ISA variant;
// the generator writes engine/cpu's declarations, each variant's prototypes (so the
// compiler checks every definition against this list) and the run-time dispatcher
// fc_cpu_<CPU>(int variant, <Params>) that engine/cpu calls. CUDA lists the __global__
// entry points of kernels/cuda/*.cu that implement it; their typed launchers are generated
// from the .cu signatures.
type Op struct {
	// Backend is the engine/backend.Backend method the op serves ("" for helpers).
	Backend string
	// CPU is the entry point's name without fc_cpu_; Return and Params its C signature.
	// An op without one runs in Go on the CPU backend.
	CPU, Return, Params string
	// CUDA names the kernels that implement the op on the GPU.
	CUDA []string
	// Doc says what the entry point does, for the generated header.
	Doc string
}

// Ops is the op list. Adding an op means one entry here, a formula in kernels/include, a
// loop in kernels/cpu, a kernel in kernels/cuda, and the Backend method with its Go
// wrappers (engine/backend, engine/cpu, engine/cuda) and its conformance case.
var Ops = []Op{
	{Backend: "SpectralMix", CPU: "spectral_mix", Return: "void",
		Params: "const fc_spectral_mix_args *a, int64_t item0, int64_t item1",
		CUDA:   []string{"fc_spectral_mix"},
		Doc:    "out[b,o,k] = Σ_i in[b,i,k]·w[i,o,k] over work items [item0, item1) (FC_MIX_BATCH_TILE samples of one output channel each)."},
	{Backend: "Gemm", CPU: "gemm_items", Return: "int64_t", Params: "const fc_gemm_args *g",
		Doc: "The number of work items fc_cpu_gemm splits g into."},
	{Backend: "Gemm", CPU: "gemm", Return: "int", Params: "const fc_gemm_args *g, int64_t item0, int64_t item1",
		CUDA: []string{"fc_gemm"},
		Doc:  "Items [item0, item1) of g (fc_gemm.h); −1 if scratch allocation failed."},
	{Backend: "MLP", CPU: "mlp_items", Return: "int64_t", Params: "const fc_mlp_args *g",
		Doc: "The number of work items fc_cpu_mlp splits g into."},
	{Backend: "MLP", CPU: "mlp", Return: "int", Params: "const fc_mlp_args *g, int64_t item0, int64_t item1",
		CUDA: []string{"fc_mlp"},
		Doc:  "Items [item0, item1) of the fused two-layer MLP g; −1 if scratch allocation failed."},
	{Backend: "ComplexCombine", CPU: "complex_combine", Return: "void",
		Params: "const float *p, float *z, int32_t nRows, int64_t pairs, int64_t outer0, int64_t outer1",
		CUDA:   []string{"fc_complex_combine"},
		Doc:    "Outer indices [outer0, outer1) of the real/imaginary recombination of an axis transform."},
	{Backend: "Activate", CPU: "activate", Return: "void",
		Params: "float *x, int64_t ld, int32_t cols, int32_t act, int64_t row0, int64_t row1",
		CUDA:   []string{"fc_activate_rows"},
		Doc:    "Applies act in place to rows [row0, row1) of cols values, row stride ld."},
	{Backend: "NewFFT", CPU: "fft_lanes", Return: "int64_t", Params: "void",
		Doc: "The variant's vector width: a real-line work item is 2·lanes lines, an axis work item lanes columns of one outer index."},
	{Backend: "NewFFT", CPU: "rfft_lines", Return: "int",
		Params: "const fc_fft_plan *pl, const float *src, fc_c32 *dst, int64_t lines, int32_t columns, int64_t item0, int64_t item1",
		Doc:    "Real-to-complex transforms of work items [item0, item1) of the last axis; −1 if scratch allocation failed."},
	{Backend: "NewFFT", CPU: "irfft_lines", Return: "int",
		Params: "const fc_fft_plan *pl, const fc_c32 *src, float *dst, int64_t lines, int32_t columns, int64_t item0, int64_t item1",
		Doc:    "Complex-to-real transforms of work items [item0, item1) of the last axis; −1 if scratch allocation failed."},
	{Backend: "NewFFT", CPU: "fft_axis", Return: "int",
		Params: "const fc_fft_plan *pl, fc_c32 *data, int64_t inner, int inverse, int64_t item0, int64_t item1",
		Doc:    "In-place complex transforms along an outer axis, work items [item0, item1); −1 if scratch allocation failed."},
	// cuFFT's multi-dimensional C2R reads the DC and Nyquist columns as Hermitian; this
	// makes them so first, as NumPy's irfftn does. The CPU transform needs no such step.
	{Backend: "NewFFT", CUDA: []string{"fc_hermitian_columns"}},
	// The CPU backend copies boxes in Go: a strided memmove needs no kernel.
	{Backend: "CopyBox", CUDA: []string{"fc_copy_box"}},
	{Backend: "GatherModes", CPU: "gather_modes", Return: "void",
		Params: "const fc_gather_modes_args *a, int64_t row0, int64_t row1",
		CUDA:   []string{"fc_gather_modes"},
		Doc:    "dst[r, j] = scale·src[r, index[j]] for rows [row0, row1) (index −1 writes 0)."},
	{Backend: "Faces", CPU: "faces", Return: "void", Params: "const fc_faces_args *a, int64_t item0, int64_t item1",
		CUDA: []string{"fc_faces"},
		Doc:  "BOON's face bookkeeping (fc_boon.h) for face points [item0, item1) in o·inner + f order."},
	{Backend: "AddScaled", CPU: "add_scaled", Return: "void",
		Params: "float *dst, const float *src, float scale, int64_t i0, int64_t i1",
		CUDA:   []string{"fc_add_scaled"},
		Doc:    "dst = scale·(dst + src) over elements [i0, i1)."},
	{Backend: "Conserve", CPU: "conserve", Return: "int", Params: "const fc_conserve_args *a, int64_t s0, int64_t s1",
		CUDA: []string{"fc_conserve"},
		Doc:  "Updates slices [s0, s1) of a (fc_conserve.h), writing their statuses; −1 if scratch allocation failed."},
	{Backend: "Kalman", CPU: "kalman", Return: "void", Params: "const fc_kalman_args *a, int32_t update, int64_t b0, int64_t b1",
		CUDA: []string{"fc_kalman"},
		Doc:  "A predict (update = 0) or update step of filters [b0, b1)."},
	{Backend: "CollisionProb", CPU: "collision_prob", Return: "void",
		Params: "const fc_collision_prob_args *a, int64_t i0, int64_t i1",
		CUDA:   []string{"fc_collision_prob_batch"},
		Doc:    "Cases [i0, i1) of a batched collision probability (fc_traj.h), the fast form when fast is set."},
	{Backend: "TrajScore", CPU: "traj_lanes", Return: "int64_t", Params: "void",
		Doc: "The candidates per block of fc_cpu_traj_score: the variant's vector width."},
	{Backend: "TrajScore", CPU: "traj_prepare", Return: "void", Params: "const float *raw, float *prepared, int64_t count",
		CUDA: []string{"fc_traj_prepare"},
		Doc:  "Turns count obstacle steps into the scoring's layout (fc_traj_score.h)."},
	{Backend: "TrajScore", CPU: "traj_score", Return: "void",
		Params: "const fc_traj_score_args *a, int64_t b0, int64_t b1",
		CUDA:   []string{"fc_traj_score"},
		Doc:    "Rolls out and scores blocks [b0, b1) of the candidates from first on, of arrays of stride n (fc_traj_score.h)."},
	{Backend: "TrajSample", CPU: "traj_sample", Return: "void",
		Params: "const fc_traj_sample_args *a, int64_t i0, int64_t i1",
		CUDA:   []string{"fc_traj_sample"},
		Doc:    "Writes candidates first + [i0, i1) of controls [2·segments, n] (fc_traj_sample_control)."},
	{Backend: "TrajSelect", CPU: "traj_best", Return: "int64_t",
		Params: "const float *total, const int32_t *feasible, int64_t i0, int64_t i1, int64_t k, uint64_t *out",
		CUDA:   []string{"fc_traj_select"},
		Doc:    "Writes the k best keys (fc_traj_rank_key) of candidates [i0, i1) to out, ascending; returns how many."},
	{Backend: "TrajSelect", CPU: "traj_best_keys", Return: "void",
		Params: "const uint64_t *keys, int64_t count, int64_t k, uint64_t *heap, int32_t *index",
		Doc:    "Writes the candidate indices of the k smallest of count keys to index, best first, using heap (k keys) as scratch."},
}

// OpIncludes are the kernel headers that declare the types the op signatures use.
var OpIncludes = []string{"fc_complex.h", "fc_spectral.h", "fc_gemm.h", "fc_fft.h", "fc_boon.h", "fc_conserve.h", "fc_kalman.h", "fc_traj_score.h"}

// CPUVariant is one ISA level engine/cpu compiles every loop of kernels/cpu for.
type CPUVariant struct {
	// Name is the functions' suffix; the variant's code is FC_CPU_<NAME>.
	Name string
	Doc  string
	// Target is the GCC target pragma's argument, "" for the baseline. A variant with a
	// target is compiled on x86-64 with GCC or Clang only.
	Target string
	// Tuning are the loops' compile-time parameters, in order: FC_MIX_MODE_TILE, FC_VEC
	// (floats per vector) and FC_GEMM_MR (rows of the GEMM micro-kernel).
	Tuning [][2]string
}

// CPUVariants are the ISA levels, in engine/cpu's Variant order.
var CPUVariants = []CPUVariant{
	{Name: "generic", Doc: "Baseline x86-64 (SSE2): what the compiler emits without extra target flags.",
		Tuning: [][2]string{{"FC_MIX_MODE_TILE", "2"}, {"FC_VEC", "4"}, {"FC_GEMM_MR", "4"}}},
	{Name: "avx2", Doc: "x86-64-v3: AVX2 with FMA. The pragma applies to everything below it, including the inlined formulas from kernels/include, so the same source vectorizes 8-wide with FMA.",
		Target: "avx2,fma,bmi,bmi2,f16c,lzcnt,movbe,popcnt",
		Tuning: [][2]string{{"FC_MIX_MODE_TILE", "4"}, {"FC_VEC", "8"}, {"FC_GEMM_MR", "6"}}},
	{Name: "avx512", Doc: "x86-64-v4: AVX-512 F/VL/BW/DQ/CD, 16-wide with FMA. GCC otherwise prefers 256-bit vectors even when AVX-512 is enabled, hence prefer-vector-width.",
		Target: "avx512f,avx512vl,avx512bw,avx512dq,avx512cd,avx2,fma,bmi,bmi2,f16c,lzcnt,movbe,popcnt,prefer-vector-width=512",
		Tuning: [][2]string{{"FC_MIX_MODE_TILE", "8"}, {"FC_VEC", "16"}, {"FC_GEMM_MR", "8"}}},
}
