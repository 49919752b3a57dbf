/* fluxcore.h: the C ABI of fluxcore (libfluxcore.so.2 / libfluxcore.a, built by `make lib`).
 *
 * This header is the one source of the ABI: bindings/capi's C entry points are generated
 * from its prototypes, and `make lib-test` checks that the library exports exactly them.
 *
 * Conventions, for every function:
 *   - Functions return a fluxcore_status. On failure, fluxcore_last_error() gives a message
 *     for the calling thread, naming the argument, its value and the limit; it stays valid
 *     until the thread's next failed call. Success leaves it as it was (as errno does).
 *   - Objects (engines, FNO models, ProbConserv problems, Kalman batches, planners) are opaque
 *     64-bit handles, never pointers; 0 is never a
 *     live handle. A stale, destroyed or wrong-kind handle is FLUXCORE_ERR_INVALID_ARGUMENT,
 *     reported without allocating anything.
 *   - Tensors are DLPack DLTensors (fluxcore_dl_tensor has dlpack.h's layout exactly), so
 *     NumPy, PyTorch and CuPy arrays cross without a copy. Shapes and strides are checked
 *     against the model before any data is read. strides are in elements; NULL means
 *     compact row-major. Inputs may be strided; outputs must be compact. A dtype or device
 *     the call does not take is an error, never a silent conversion.
 *   - Buffers passed in are owned by the caller and used only during the call.
 *   - Thread safety: every function may be called from many threads at once, on the same
 *     engine and the same model too (a model keeps a pool of runners, one per concurrent
 *     call and input shape).
 *   - Lifetime: a destroy waits for the calls in flight on that object to return. Destroying
 *     an engine that still has live objects on it fails with FLUXCORE_ERR_BUSY.
 *   - fork(): the Go runtime inside the library does not survive fork() in the child. After a
 *     fork every call in the child returns FLUXCORE_ERR_FORKED at once instead of hanging;
 *     load the library in the child, or use a start method that does not fork (Python's
 *     multiprocessing "spawn" or "forkserver").
 *   - A panic inside the library becomes FLUXCORE_ERR_INTERNAL, never a crash. What cannot
 *     be protected: the Go runtime's fatal errors (the process is out of memory, a stack
 *     overflow, a deadlock), and memory the caller describes wrongly (a data pointer or
 *     shape that does not match the buffer). Allocations are checked against the engine's
 *     memory budget before they are made, so an oversized request gets
 *     FLUXCORE_ERR_OUT_OF_MEMORY while the process lives on.
 *   - CUDA: the CPU backend ignores `stream` and its outputs are ready when the call
 *     returns. Tensors on a CUDA device are refused with FLUXCORE_ERR_UNSUPPORTED in this
 *     version; pass host (kDLCPU or pinned kDLCUDAHost) memory.
 *
 * The ABI version changes whenever a signature, a struct layout or a convention above
 * changes; it is the number in the SONAME. */
#ifndef FLUXCORE_H
#define FLUXCORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FLUXCORE_ABI_VERSION 2

typedef enum fluxcore_status {
    FLUXCORE_OK = 0,
    FLUXCORE_ERR_INVALID_ARGUMENT = 1, /* bad handle, shape, dtype, value or file content */
    FLUXCORE_ERR_OUT_OF_MEMORY = 2,    /* over the engine's memory budget, or malloc failed */
    FLUXCORE_ERR_IO = 3,               /* a file could not be opened or read */
    FLUXCORE_ERR_UNSUPPORTED = 4,      /* valid, but not offered by this build or device */
    FLUXCORE_ERR_DEVICE = 5,           /* the device failed */
    FLUXCORE_ERR_CANCELLED = 6,        /* the work was cancelled */
    FLUXCORE_ERR_INTERNAL = 7,         /* a bug in fluxcore: please report the message */
    FLUXCORE_ERR_BUSY = 8,             /* in use: an engine with live objects, a busy planner */
    FLUXCORE_ERR_FORKED = 9            /* called in a child process after fork() */
} fluxcore_status;

/* ---- DLPack (dmlc/dlpack's dlpack.h, v1.x; same layout, prefixed names) ---- */

enum {
    FLUXCORE_DL_CPU = 1,          /* kDLCPU */
    FLUXCORE_DL_CUDA = 2,         /* kDLCUDA */
    FLUXCORE_DL_CUDA_HOST = 3,    /* kDLCUDAHost: pinned host memory */
    FLUXCORE_DL_CUDA_MANAGED = 13 /* kDLCUDAManaged */
};

enum {
    FLUXCORE_DL_INT = 0,    /* kDLInt */
    FLUXCORE_DL_UINT = 1,   /* kDLUInt */
    FLUXCORE_DL_FLOAT = 2,  /* kDLFloat */
    FLUXCORE_DL_COMPLEX = 5 /* kDLComplex */
};

typedef struct fluxcore_dl_device {
    int32_t device_type; /* DLDeviceType, a C enum: 4 bytes */
    int32_t device_id;
} fluxcore_dl_device;

typedef struct fluxcore_dl_datatype {
    uint8_t code; /* FLUXCORE_DL_FLOAT, ... */
    uint8_t bits;
    uint16_t lanes; /* 1 */
} fluxcore_dl_datatype;

typedef struct fluxcore_dl_tensor {
    void *data;
    fluxcore_dl_device device;
    int32_t ndim;
    fluxcore_dl_datatype dtype;
    int64_t *shape;
    int64_t *strides; /* in elements; NULL: compact row-major */
    uint64_t byte_offset;
} fluxcore_dl_tensor;

typedef struct fluxcore_dl_managed_tensor {
    fluxcore_dl_tensor dl_tensor;
    void *manager_ctx;
    void (*deleter)(struct fluxcore_dl_managed_tensor *self);
} fluxcore_dl_managed_tensor;

/* ---- Library ---- */

/* The ABI version of the loaded library; compare with FLUXCORE_ABI_VERSION. */
int fluxcore_abi_version(void);

/* The library's version, e.g. "fluxcore v0.3.0 (1a2b3c4d5e6f, ...), C ABI 2, go1.26".
 * The string is static. */
const char *fluxcore_version(void);

/* The message of the calling thread's last failed call ("" if none). The pointer stays valid
 * for the thread's lifetime; the text changes with its next failure. */
const char *fluxcore_last_error(void);

/* The name of a status ("FLUXCORE_ERR_BUSY"), or "unknown status". Static. */
const char *fluxcore_status_name(fluxcore_status status);

/* ---- Engine: where computations run ---- */

typedef uint64_t fluxcore_engine;

typedef struct fluxcore_engine_options {
    /* sizeof(fluxcore_engine_options): later versions append fields and read only what the
     * caller's size covers. */
    uint32_t struct_size;
    /* Threads of CPU operations; 0: every core. */
    int32_t threads;
    /* "auto", "cpu", "cuda" or "cuda:N"; NULL or "": $FLUXCORE_DEVICE, else auto. */
    const char *device;
    /* "auto", "generic", "avx2" or "avx512"; NULL or "": $FLUXCORE_CPU, else the best. */
    const char *cpu_variant;
    /* The bytes the engine's buffers may hold at once; 0: 2 GiB. */
    int64_t memory_budget_bytes;
} fluxcore_engine_options;

/* Opens an engine; opts NULL takes every default. */
fluxcore_status fluxcore_engine_create(const fluxcore_engine_options *opts, fluxcore_engine *out);

/* Closes an engine after the calls in flight on it return. FLUXCORE_ERR_BUSY while models
 * loaded on it are alive. */
fluxcore_status fluxcore_engine_destroy(fluxcore_engine engine);

/* Writes the engine's description (the JSON of `fluxcore info --json`) into buf, NUL
 * terminated, and its length (without the NUL) into *len_out when len_out is not NULL. Too
 * small a buffer is FLUXCORE_ERR_INVALID_ARGUMENT, with *len_out set to the length. */
fluxcore_status fluxcore_engine_info_json(fluxcore_engine engine, char *buf, size_t buf_len,
                                          size_t *len_out);

/* ---- FNO models ---- */

typedef uint64_t fluxcore_fno;

/* Boundary kinds of fluxcore_fno_boundary.kind. */
enum {
    FLUXCORE_BC_MODEL = 0,     /* the condition a BOON checkpoint was trained with; none for a plain FNO */
    FLUXCORE_BC_DIRICHLET = 1, /* left/right hold the values u on the first axis' faces */
    FLUXCORE_BC_NEUMANN = 2,   /* left/right hold the fluxes; NULL is a flux of 0 */
    FLUXCORE_BC_PERIODIC = 3
};

/* BOON boundary corrections (Saad et al., ICLR 2023) on the first grid axis. Face tensors are
 * float32 on the host, shaped [batch, grid[1:]...] ([batch] for a 1-D model). */
typedef struct fluxcore_fno_boundary {
    uint32_t struct_size; /* sizeof(fluxcore_fno_boundary) */
    int32_t kind;         /* FLUXCORE_BC_* */
    /* Impose the condition on the output only and leave the hidden layers as trained (plain
     * checkpoints only). */
    int32_t output_only;
    int32_t reserved;
    const fluxcore_dl_tensor *left, *right;
    /* A 3-D Dirichlet condition also fixes the second axis' faces: [batch, grid[0], grid[2]]. */
    const fluxcore_dl_tensor *top, *down;
    /* Neumann: the normalized one-sided difference stencils that define the fluxes; NULL
     * (length 0) takes the second-order default for the grid. */
    const double *stencil_left, *stencil_right;
    int32_t stencil_left_len, stencil_right_len;
} fluxcore_fno_boundary;

/* Loads an FNO checkpoint (safetensors: the reference, BOON or neuraloperator layouts; the
 * architecture comes from the file). The weights are placed on the engine's device once per
 * runner and stay there. */
fluxcore_status fluxcore_fno_load(fluxcore_engine engine, const char *path, fluxcore_fno *out);

/* Releases a model after the calls in flight on it return. */
fluxcore_status fluxcore_fno_destroy(fluxcore_fno model);

/* Writes the model's description as JSON: {"dims", "in_channels", "out_channels", "width",
 * "modes", "layout", "boon"}. Buffer rules as fluxcore_engine_info_json. */
fluxcore_status fluxcore_fno_info_json(fluxcore_fno model, char *buf, size_t buf_len,
                                       size_t *len_out);

/* The output shape for input x: x's ndim values, [batch, grid..., out_channels], written to
 * shape (which holds x->ndim values). x's data is not read. */
fluxcore_status fluxcore_fno_output_shape(fluxcore_fno model, const fluxcore_dl_tensor *x,
                                          int64_t *shape);

/* Runs the model: x is float32 [batch, grid..., in_channels] (channels-last, as the reference
 * models take it), y is a compact float32 tensor of fluxcore_fno_output_shape's shape that
 * the caller allocated. bc NULL means FLUXCORE_BC_MODEL. Once warm (the same shape seen
 * before), the call places no weights and allocates nothing, boundary corrections included. */
fluxcore_status fluxcore_fno_forward(fluxcore_fno model, const fluxcore_dl_tensor *x,
                                     const fluxcore_fno_boundary *bc, const fluxcore_dl_tensor *y,
                                     void *stream);

/* As fluxcore_fno_forward, but fluxcore allocates the output: *y is a host tensor that the
 * caller releases with (*y)->deleter(*y). */
fluxcore_status fluxcore_fno_forward_alloc(fluxcore_fno model, const fluxcore_dl_tensor *x,
                                           const fluxcore_fno_boundary *bc,
                                           fluxcore_dl_managed_tensor **y, void *stream);

/* ---- ProbConserv: conservation-constrained updates (Hansen et al., ICML 2023) ---- */

typedef uint64_t fluxcore_conserve;

/* A problem: the linear constraints G u = b with noise variance noise_var >= 0 (0 imposes
 * them exactly), for estimates of N points. g is [C, N] (shared by every slice) or
 * [S, C, N]; b is [C] or [S, C]; float32 or float64. A problem is read-only once made: many
 * threads may update with it at once. */
fluxcore_status fluxcore_conserve_create(fluxcore_engine engine, const fluxcore_dl_tensor *g,
                                         const fluxcore_dl_tensor *b, double noise_var,
                                         fluxcore_conserve *out);

/* Releases a problem after the calls in flight on it return. */
fluxcore_status fluxcore_conserve_destroy(fluxcore_conserve problem);

/* The update  mean' = mean - S Gt A^-1 (G mean - b),  S' = S - S Gt A^-1 G S,  A = noise_var I + G S Gt
 * of a batch of Gaussian estimates: mean [S, N] ([N]: one slice) and exactly one covariance
 * form: var [S, N] (diagonal), cov [S, N, N] (full), or ensemble [S, N, M] (S = U Ut / (M-1),
 * var then an optional extra diagonal). All tensors are float32 or all float64. The outputs
 * are compact, caller-allocated and shaped like their inputs; mean_out is required, and
 * var_out (the marginal variances, for every form), cov_out and ensemble_out are computed
 * when given. */
typedef struct fluxcore_conserve_args {
    uint32_t struct_size; /* sizeof(fluxcore_conserve_args) */
    int32_t reserved;
    const fluxcore_dl_tensor *mean, *var, *cov, *ensemble;
    const fluxcore_dl_tensor *mean_out, *var_out, *cov_out, *ensemble_out;
} fluxcore_conserve_args;

fluxcore_status fluxcore_conserve_update(fluxcore_conserve problem, const fluxcore_conserve_args *args);

/* ---- Batched Kalman filters ---- */

typedef uint64_t fluxcore_kalman;

/* Per-filter status values of fluxcore_kalman_update's status_out. */
enum {
    FLUXCORE_KALMAN_OK = 0,
    FLUXCORE_KALMAN_NOT_PD = 1 /* H P Ht + R was not positive definite: the filter is unchanged */
};

/* A batch of F filters with nx states each, starting from x [F, nx] and p [F, nx, nx]. Its
 * element type (float32 or float64) is x's; every later tensor must have it. The state stays
 * inside the batch, in the kernels' layout, from step to step. A batch serves one call at a
 * time: a second call while one runs is FLUXCORE_ERR_BUSY. */
fluxcore_status fluxcore_kalman_create(fluxcore_engine engine, const fluxcore_dl_tensor *x,
                                       const fluxcore_dl_tensor *p, fluxcore_kalman *out);

/* Releases a batch after the call in flight on it returns. */
fluxcore_status fluxcore_kalman_destroy(fluxcore_kalman batch);

/* The prediction x = F x, P = F P Ft + Q; f and q are [nx, nx] (shared) or [F, nx, nx]. */
fluxcore_status fluxcore_kalman_predict(fluxcore_kalman batch, const fluxcore_dl_tensor *f,
                                        const fluxcore_dl_tensor *q);

/* The measurement update (Joseph form) with z [F, nz], h [nz, nx] or [F, nz, nx], r [nz, nz]
 * or [F, nz, nz]. status_out, int32 [F] (or NULL), receives each filter's
 * FLUXCORE_KALMAN_* status; a filter that is not positive definite does not fail the call. */
fluxcore_status fluxcore_kalman_update(fluxcore_kalman batch, const fluxcore_dl_tensor *z,
                                       const fluxcore_dl_tensor *h, const fluxcore_dl_tensor *r,
                                       const fluxcore_dl_tensor *status_out);

/* Copies the state out: x_out [F, nx] and p_out [F, nx, nx] (either may be NULL). */
fluxcore_status fluxcore_kalman_state(fluxcore_kalman batch, const fluxcore_dl_tensor *x_out,
                                      const fluxcore_dl_tensor *p_out);

/* ---- Trajectory planner ---- */

typedef uint64_t fluxcore_planner;

/* Opens a risk-aware local planner. config_json sets any of "candidates", "segments", "seed",
 * "accurate", "warm_fraction", "warm_spread", "cycle_s", "top_k", "refine_stages" (the flags
 * of `fluxcore plan`); NULL or "" takes every default. A planner is one robot's: its warm
 * start carries from cycle to cycle, and a second call while one runs is FLUXCORE_ERR_BUSY. */
fluxcore_status fluxcore_planner_create(fluxcore_engine engine, const char *config_json,
                                        fluxcore_planner *out);

/* Releases a planner after the call in flight on it returns. */
fluxcore_status fluxcore_planner_destroy(fluxcore_planner planner);

/* Plans one cycle for scenario_json (the scenario schema of `fluxcore plan`) and writes the
 * result (the schema of `fluxcore plan --out`) into buf under fluxcore_engine_info_json's
 * rules. When buf is too small the plan still counts; fetch it with
 * fluxcore_planner_last_result instead of planning again. */
fluxcore_status fluxcore_planner_plan(fluxcore_planner planner, const char *scenario_json, char *buf,
                                      size_t buf_len, size_t *len_out);

/* The last plan's result again, under the same buffer rules. */
fluxcore_status fluxcore_planner_last_result(fluxcore_planner planner, char *buf, size_t buf_len,
                                             size_t *len_out);

#ifdef __cplusplus
}
#endif

#endif
