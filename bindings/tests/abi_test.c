/* abi_test.c: the C ABI's promises, checked from C (and, in `make lib-test`, again under
 * AddressSanitizer and UndefinedBehaviorSanitizer): the DLPack layout, statuses and
 * thread-local messages, bad handles and tensors, many threads on one model, destroy while
 * calls are in flight, the memory budget, strided inputs, and fork.
 *
 *   abi_test GOLDEN_DIR   (engine/fno/testdata/golden) */
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fluxcore.h"
#include "../examples/npy.h"

/* The published layout of dlpack.h's structs on LP64, written out independently. */
_Static_assert(sizeof(fluxcore_dl_tensor) == 48, "DLTensor is 48 bytes");
_Static_assert(offsetof(fluxcore_dl_tensor, device) == 8, "DLTensor.device");
_Static_assert(offsetof(fluxcore_dl_tensor, ndim) == 16, "DLTensor.ndim");
_Static_assert(offsetof(fluxcore_dl_tensor, dtype) == 20, "DLTensor.dtype");
_Static_assert(offsetof(fluxcore_dl_tensor, shape) == 24, "DLTensor.shape");
_Static_assert(offsetof(fluxcore_dl_tensor, strides) == 32, "DLTensor.strides");
_Static_assert(offsetof(fluxcore_dl_tensor, byte_offset) == 40, "DLTensor.byte_offset");
_Static_assert(sizeof(fluxcore_dl_managed_tensor) == 64, "DLManagedTensor is 64 bytes");
_Static_assert(offsetof(fluxcore_dl_managed_tensor, deleter) == 56, "DLManagedTensor.deleter");
#if __has_include(<ATen/dlpack.h>)
/* Where PyTorch's copy of dlpack.h is installed, the layouts must match it field by field. */
#include <ATen/dlpack.h>
#define SAME(a, b, f) _Static_assert(offsetof(a, f) == offsetof(b, f), #f)
SAME(fluxcore_dl_tensor, DLTensor, data);
SAME(fluxcore_dl_tensor, DLTensor, device);
SAME(fluxcore_dl_tensor, DLTensor, ndim);
SAME(fluxcore_dl_tensor, DLTensor, dtype);
SAME(fluxcore_dl_tensor, DLTensor, shape);
SAME(fluxcore_dl_tensor, DLTensor, strides);
SAME(fluxcore_dl_tensor, DLTensor, byte_offset);
SAME(fluxcore_dl_managed_tensor, DLManagedTensor, manager_ctx);
SAME(fluxcore_dl_managed_tensor, DLManagedTensor, deleter);
_Static_assert(sizeof(fluxcore_dl_tensor) == sizeof(DLTensor), "DLTensor size");
_Static_assert(sizeof(fluxcore_dl_device) == sizeof(DLDevice), "DLDevice size");
_Static_assert(sizeof(fluxcore_dl_datatype) == sizeof(DLDataType), "DLDataType size");
_Static_assert((int)FLUXCORE_DL_CUDA == (int)kDLCUDA && (int)FLUXCORE_DL_CUDA_HOST == (int)kDLCUDAHost &&
                   (int)FLUXCORE_DL_FLOAT == (int)kDLFloat,
               "enum values");
#define LAYOUT_CHECKED_AGAINST "ATen/dlpack.h"
#else
#define LAYOUT_CHECKED_AGAINST "the published offsets"
#endif

static int failures;

#define EXPECT(cond, ...)                                                                  \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                           \
            fprintf(stderr, __VA_ARGS__);                                                  \
            fprintf(stderr, "\n");                                                         \
            failures++;                                                                    \
        }                                                                                  \
    } while (0)

/* EXPECT_STATUS checks a call's status and that its message names what. */
#define EXPECT_STATUS(call, want, what)                                                    \
    do {                                                                                   \
        fluxcore_status st_ = (call);                                                      \
        EXPECT(st_ == (want), "%s: %s, want %s (%s)", #call, fluxcore_status_name(st_),   \
               fluxcore_status_name(want), fluxcore_last_error());                         \
        if (st_ != FLUXCORE_OK)                                                            \
            EXPECT(strstr(fluxcore_last_error(), (what)) != NULL, "%s: message %s lacks %s", \
                   #call, fluxcore_last_error(), (what));                                  \
    } while (0)

static fluxcore_dl_tensor host(void *data, int32_t ndim, int64_t *shape, uint8_t bits)
{
    fluxcore_dl_tensor t = {.data = data, .ndim = ndim, .shape = shape};
    t.device.device_type = FLUXCORE_DL_CPU;
    t.dtype = (fluxcore_dl_datatype){FLUXCORE_DL_FLOAT, bits, 1};
    return t;
}

static fluxcore_engine open_cpu(int64_t budget)
{
    fluxcore_engine_options opts = {.struct_size = sizeof opts, .device = "cpu", .memory_budget_bytes = budget};
    fluxcore_engine e = 0;
    EXPECT_STATUS(fluxcore_engine_create(&opts, &e), FLUXCORE_OK, "");
    return e;
}

/* ---- shared state of the threaded tests ---- */
static fluxcore_fno model;
static npy_f32 input, reference;

static void *forward_many(void *arg)
{
    long bad = 0;
    float *y = malloc((size_t)reference.count * sizeof(float));
    for (int i = 0; i < 40; i++) {
        fluxcore_dl_tensor x = host(input.data, input.ndim, input.shape, 32);
        fluxcore_dl_tensor out = host(y, input.ndim, reference.shape, 32);
        if (fluxcore_fno_forward(model, &x, NULL, &out, NULL) != FLUXCORE_OK || rel_l2(y, reference.data, reference.count) > 1e-5)
            bad++;
    }
    free(y);
    (void)arg;
    return (void *)bad;
}

/* Each thread fails with its own message and must read back exactly its own. */
static void *own_errors(void *arg)
{
    long id = (long)arg, wrong = 0;
    fluxcore_fno dead = (fluxcore_fno)(2ull << 56 | (uint64_t)(1000000 + id)); /* never issued */
    char want[64];
    snprintf(want, sizeof want, "handle %#llx is not live", (unsigned long long)dead);
    for (int i = 0; i < 2000; i++) {
        fluxcore_fno_destroy(dead);
        if (strstr(fluxcore_last_error(), want) == NULL) wrong++;
    }
    return (void *)wrong;
}

/* Forwards until the model is destroyed under it: every call either succeeds or reports the
 * dead handle; none crashes or reads freed memory. */
static void *until_destroyed(void *arg)
{
    float *y = malloc((size_t)reference.count * sizeof(float));
    long odd = 0;
    for (;;) {
        fluxcore_dl_tensor x = host(input.data, input.ndim, input.shape, 32);
        fluxcore_dl_tensor out = host(y, input.ndim, reference.shape, 32);
        fluxcore_status st = fluxcore_fno_forward(model, &x, NULL, &out, NULL);
        if (st == FLUXCORE_ERR_INVALID_ARGUMENT) break;
        if (st != FLUXCORE_OK) { odd++; break; }
    }
    free(y);
    (void)arg;
    return (void *)odd;
}

static long run_threads(int n, void *(*fn)(void *))
{
    pthread_t t[16];
    long total = 0;
    for (long i = 0; i < n; i++) pthread_create(&t[i], NULL, fn, (void *)i);
    for (int i = 0; i < n; i++) {
        void *r;
        pthread_join(t[i], &r);
        total += (long)r;
    }
    return total;
}

static void test_library(void)
{
    EXPECT(fluxcore_abi_version() == FLUXCORE_ABI_VERSION, "ABI %d", fluxcore_abi_version());
    EXPECT(strstr(fluxcore_version(), "C ABI 2") != NULL, "version %s", fluxcore_version());
    EXPECT(strcmp(fluxcore_status_name(FLUXCORE_ERR_BUSY), "FLUXCORE_ERR_BUSY") == 0, "status name");
    EXPECT(strcmp(fluxcore_status_name((fluxcore_status)99), "unknown status") == 0, "unknown status name");
}

static void test_bad_arguments(fluxcore_engine e, const char *golden)
{
    fluxcore_engine_options zero = {0};
    fluxcore_engine e2;
    EXPECT_STATUS(fluxcore_engine_create(&zero, &e2), FLUXCORE_ERR_INVALID_ARGUMENT, "struct_size is 0");
    fluxcore_engine_options bad = {.struct_size = sizeof bad, .device = "gpu"};
    EXPECT_STATUS(fluxcore_engine_create(&bad, &e2), FLUXCORE_ERR_INVALID_ARGUMENT, "\"gpu\"");
    EXPECT_STATUS(fluxcore_engine_destroy(0), FLUXCORE_ERR_INVALID_ARGUMENT, "handle is 0");
    /* This library is built without CUDA (and these machines have no GPU): asking for it is a
     * device error carrying the reason, never a silent fallback. */
    fluxcore_engine_options cuda = {.struct_size = sizeof cuda, .device = "cuda"};
    EXPECT_STATUS(fluxcore_engine_create(&cuda, &e2), FLUXCORE_ERR_DEVICE, "cuda");
    EXPECT_STATUS(fluxcore_fno_destroy(e), FLUXCORE_ERR_INVALID_ARGUMENT, "names an engine, not an FNO model");
    char path[4096];
    snprintf(path, sizeof path, "%s/no-such-dir/model.safetensors", golden);
    fluxcore_fno m;
    EXPECT_STATUS(fluxcore_fno_load(e, path, &m), FLUXCORE_ERR_IO, "no such file");
    snprintf(path, sizeof path, "%s/fno2d/input.npy", golden);
    EXPECT_STATUS(fluxcore_fno_load(e, path, &m), FLUXCORE_ERR_INVALID_ARGUMENT, "safetensors");

    int64_t shape[8];
    double d[4];
    int64_t dshape[4] = {1, 24, 24, 1};
    fluxcore_dl_tensor x64 = host(d, 4, dshape, 64);
    EXPECT_STATUS(fluxcore_fno_output_shape(model, NULL, shape), FLUXCORE_ERR_INVALID_ARGUMENT, "x is NULL");
    float y[4];
    fluxcore_dl_tensor out = host(y, 4, dshape, 32);
    EXPECT_STATUS(fluxcore_fno_forward(model, &x64, NULL, &out, NULL), FLUXCORE_ERR_INVALID_ARGUMENT, "float64, want float32");
    /* An absurd shape is refused from its description: the 16 bytes behind it are never read. */
    int64_t huge[4] = {1 << 20, 1 << 20, 1 << 20, 1};
    fluxcore_dl_tensor big = host(d, 4, huge, 32);
    EXPECT_STATUS(fluxcore_fno_forward(model, &big, NULL, &out, NULL), FLUXCORE_ERR_INVALID_ARGUMENT, "exceeds limit");
    int64_t wrong[4] = {1, 24, 24, 3};
    fluxcore_dl_tensor chans = host(d, 4, wrong, 32);
    EXPECT_STATUS(fluxcore_fno_output_shape(model, &chans, shape), FLUXCORE_ERR_INVALID_ARGUMENT, "input shape [1 24 24 3]");
    fluxcore_dl_tensor gpu = host(d, 4, dshape, 32);
    gpu.device.device_type = FLUXCORE_DL_CUDA;
    EXPECT_STATUS(fluxcore_fno_forward(model, &gpu, NULL, &out, NULL), FLUXCORE_ERR_UNSUPPORTED, "cuda:0");
}

/* Hostile tensor descriptions: random ranks, shapes, strides, dtypes, devices, offsets and
 * NULL pointers. Every call must return a status; a description the library accepts stays
 * inside the buffer given (strides at most 3x compact, batch at most 4, 8x the compact size
 * allocated), so ASan sees any read past what was described. */
static void test_hostile_descriptions(void)
{
    const int64_t max_count = 4 * 24 * 24;
    float *buf = calloc((size_t)(8 * max_count), sizeof(float));
    float y[4 * 24 * 24];
    unsigned seed = 12345;
    long accepted = 0, refused = 0;
    for (int i = 0; i < 20000; i++) {
        int64_t shape[10], strides[10];
        seed = seed * 1103515245u + 12345u;
        int ndim = (int)(seed >> 16) % 7 - 1; /* -1..5 */
        int64_t step = 1;
        for (int d = (ndim > 0 ? ndim : 0) - 1; d >= 0; d--) {
            seed = seed * 1103515245u + 12345u;
            unsigned r = seed >> 16;
            int64_t canon[4] = {1 + (int64_t)(r % 4), 24, 24, 1};
            shape[d] = (r % 16 == 0) ? -(int64_t)(r % 7) : (r % 16 == 1) ? ((int64_t)1 << 40) : canon[d < 4 ? d : 3];
            strides[d] = (r % 8 == 0) ? -1 : step * (1 + (int64_t)((r >> 4) % 3));
            step *= shape[d] > 0 && shape[d] < 100 ? shape[d] : 1;
        }
        seed = seed * 1103515245u + 12345u;
        unsigned r = seed >> 16;
        fluxcore_dl_tensor x = host(r % 9 == 0 ? NULL : buf, ndim, r % 11 == 0 ? NULL : shape, r % 5 == 0 ? 64 : 32);
        x.strides = r % 2 ? strides : NULL;
        x.device.device_type = r % 13 == 0 ? 7 : FLUXCORE_DL_CPU;
        x.dtype.lanes = r % 17 == 0 ? 4 : 1;
        int64_t out_shape[4] = {ndim == 4 ? shape[0] : 1, 24, 24, 1};
        fluxcore_dl_tensor out = host(y, 4, out_shape, 32);
        fluxcore_status st = fluxcore_fno_forward(model, r % 19 == 0 ? NULL : &x, NULL, &out, NULL);
        if (st == FLUXCORE_OK) accepted++;
        else if (st == FLUXCORE_ERR_INVALID_ARGUMENT || st == FLUXCORE_ERR_UNSUPPORTED) refused++;
        else EXPECT(0, "hostile description %d: %s: %s", i, fluxcore_status_name(st), fluxcore_last_error());
    }
    EXPECT(accepted > 100 && refused > 1000, "hostile descriptions: %ld accepted, %ld refused; want both", accepted, refused);
    free(buf);
}

/* A strided input (every sample's rows interleaved with junk) gives the compact result. */
static void test_strided_input(void)
{
    int64_t n = input.count;
    float *wide = malloc((size_t)n * 2 * sizeof(float));
    for (int64_t i = 0; i < n; i++) {
        wide[2 * i] = input.data[i];
        wide[2 * i + 1] = 1e30f;
    }
    int64_t strides[8];
    int64_t step = 2;
    for (int i = input.ndim - 1; i >= 0; i--) {
        strides[i] = step;
        step *= input.shape[i];
    }
    fluxcore_dl_tensor x = host(wide, input.ndim, input.shape, 32);
    x.strides = strides;
    fluxcore_dl_managed_tensor *y = NULL;
    EXPECT_STATUS(fluxcore_fno_forward_alloc(model, &x, NULL, &y, NULL), FLUXCORE_OK, "");
    if (y != NULL) {
        EXPECT(rel_l2(y->dl_tensor.data, reference.data, reference.count) <= 1e-5, "strided input result differs");
        y->deleter(y);
    }
    free(wide);
}

static void test_budget(const char *golden)
{
    /* 512 KiB holds the checkpoint while it loads, not a runner's weights and activations. */
    fluxcore_engine small = open_cpu(512 << 10);
    char path[4096];
    snprintf(path, sizeof path, "%s/fno2d/model.safetensors", golden);
    fluxcore_fno m = 0;
    EXPECT_STATUS(fluxcore_fno_load(small, path, &m), FLUXCORE_OK, "");
    float *y = malloc((size_t)reference.count * sizeof(float));
    fluxcore_dl_tensor x = host(input.data, input.ndim, input.shape, 32);
    fluxcore_dl_tensor out = host(y, input.ndim, reference.shape, 32);
    EXPECT_STATUS(fluxcore_fno_forward(m, &x, NULL, &out, NULL), FLUXCORE_ERR_OUT_OF_MEMORY, "memory budget of 524288 bytes");
    EXPECT_STATUS(fluxcore_engine_destroy(small), FLUXCORE_ERR_BUSY, "1 live objects");
    EXPECT_STATUS(fluxcore_fno_destroy(m), FLUXCORE_OK, "");
    EXPECT_STATUS(fluxcore_engine_destroy(small), FLUXCORE_OK, "");
    free(y);
}

/* ProbConserv and Kalman on cases with closed forms. Conservation of the sum with exact
 * constraints removes the mean's sum equally from every point and takes 1/3 of each unit
 * variance; a scalar Kalman update with P = R = 1 halves the variance and moves halfway, and
 * a prediction with F = 2, Q = 1 doubles x and makes P 4 * 0.5 + 1 = 3. */
static void test_conserve_and_kalman(fluxcore_engine e)
{
    double mean[3] = {1, 2, 3}, var[3] = {1, 1, 1}, g[3] = {1, 1, 1}, b[1] = {0}, mu[3], v[3];
    int64_t n3[1] = {3}, c1n3[2] = {1, 3}, c1[1] = {1};
    fluxcore_dl_tensor tm = host(mean, 1, n3, 64), tv = host(var, 1, n3, 64), tg = host(g, 2, c1n3, 64),
                       tb = host(b, 1, c1, 64), tmu = host(mu, 1, n3, 64), tvo = host(v, 1, n3, 64);
    fluxcore_conserve problem;
    EXPECT_STATUS(fluxcore_conserve_create(e, &tg, &tb, -1, &problem), FLUXCORE_ERR_INVALID_ARGUMENT, "noise variance -1, want a finite value");
    EXPECT_STATUS(fluxcore_conserve_create(e, &tg, &tb, 0, &problem), FLUXCORE_OK, "");
    fluxcore_conserve_args a = {.struct_size = sizeof a, .mean = &tm, .var = &tv, .mean_out = &tmu, .var_out = &tvo};
    EXPECT_STATUS(fluxcore_conserve_update(problem, &a), FLUXCORE_OK, "");
    for (int i = 0; i < 3; i++) {
        EXPECT(fabs(mu[i] - (mean[i] - 2)) < 1e-12, "conserved mean[%d] = %g, want %g", i, mu[i], mean[i] - 2);
        EXPECT(fabs(v[i] - 2.0 / 3) < 1e-12, "conserved var[%d] = %g, want 2/3", i, v[i]);
    }
    fluxcore_dl_tensor tm32 = host(mean, 1, n3, 32);
    a.mean = &tm32;
    EXPECT_STATUS(fluxcore_conserve_update(problem, &a), FLUXCORE_ERR_INVALID_ARGUMENT, "float64, want float32");
    EXPECT_STATUS(fluxcore_conserve_destroy(problem), FLUXCORE_OK, "");

    float x[2] = {0, 4}, p[2] = {1, 1}, z[2] = {1, 4}, one_f[1] = {1}, two_f[1] = {2}, xo[2], po[2];
    int32_t status[2] = {-1, -1};
    int64_t f1[2] = {2, 1}, f11[3] = {2, 1, 1}, one[2] = {1, 1}, f[1] = {2};
    fluxcore_dl_tensor tx = host(x, 2, f1, 32), tp = host(p, 3, f11, 32), tz = host(z, 2, f1, 32),
                       t1 = host(one_f, 2, one, 32), t2 = host(two_f, 2, one, 32), txo = host(xo, 2, f1, 32),
                       tpo = host(po, 3, f11, 32), ts = host(status, 1, f, 32);
    ts.dtype.code = FLUXCORE_DL_INT;
    fluxcore_kalman k;
    EXPECT_STATUS(fluxcore_kalman_create(e, &tx, &tp, &k), FLUXCORE_OK, "");
    EXPECT_STATUS(fluxcore_kalman_update(k, &tz, &t1, &t1, &ts), FLUXCORE_OK, "");
    EXPECT_STATUS(fluxcore_kalman_state(k, &txo, &tpo), FLUXCORE_OK, "");
    EXPECT(fabsf(xo[0] - 0.5f) < 1e-6f && fabsf(xo[1] - 4) < 1e-6f, "kalman x = %g %g, want 0.5 4", xo[0], xo[1]);
    EXPECT(fabsf(po[0] - 0.5f) < 1e-6f && fabsf(po[1] - 0.5f) < 1e-6f, "kalman P = %g %g, want 0.5", po[0], po[1]);
    EXPECT(status[0] == FLUXCORE_KALMAN_OK && status[1] == FLUXCORE_KALMAN_OK, "kalman status %d %d", status[0], status[1]);
    EXPECT_STATUS(fluxcore_kalman_predict(k, &t2, &t1), FLUXCORE_OK, "");
    EXPECT_STATUS(fluxcore_kalman_state(k, &txo, &tpo), FLUXCORE_OK, "");
    EXPECT(fabsf(xo[0] - 1) < 1e-6f && fabsf(xo[1] - 8) < 1e-6f, "predicted x = %g %g, want 1 8", xo[0], xo[1]);
    EXPECT(fabsf(po[0] - 3) < 1e-6f && fabsf(po[1] - 3) < 1e-6f, "predicted P = %g %g, want 3", po[0], po[1]);
    fluxcore_dl_tensor t64 = host(mean, 2, one, 64);
    EXPECT_STATUS(fluxcore_kalman_predict(k, &t64, &t1), FLUXCORE_ERR_INVALID_ARGUMENT, "float64, want float32");
    EXPECT_STATUS(fluxcore_kalman_destroy(k), FLUXCORE_OK, "");
}

/* A result too large for the caller's buffer is kept: last_result returns it without
 * planning again. */
static void test_planner(fluxcore_engine e, const char *scenario_path)
{
    FILE *f = fopen(scenario_path, "rb");
    char scenario[1 << 16];
    size_t n = f ? fread(scenario, 1, sizeof scenario - 1, f) : 0;
    if (f) fclose(f);
    scenario[n] = 0;
    EXPECT(n > 0, "cannot read %s", scenario_path);
    fluxcore_planner p;
    EXPECT_STATUS(fluxcore_planner_create(e, "{\"candidates\": 256, \"candidatez\": 1}", &p),
                  FLUXCORE_ERR_INVALID_ARGUMENT, "unknown field");
    EXPECT_STATUS(fluxcore_planner_create(e, "{\"candidates\": 256}", &p), FLUXCORE_OK, "");
    char small[16];
    size_t len = 0;
    EXPECT_STATUS(fluxcore_planner_plan(p, scenario, small, sizeof small, &len), FLUXCORE_ERR_INVALID_ARGUMENT, "buffer of 16 bytes");
    char *big = malloc(len + 1);
    size_t len2 = 0;
    EXPECT_STATUS(fluxcore_planner_last_result(p, big, len + 1, &len2), FLUXCORE_OK, "");
    EXPECT(len2 == len && strstr(big, "\"best_trajectory\"") != NULL, "last result: %zu bytes, want %zu", len2, len);
    EXPECT_STATUS(fluxcore_planner_plan(p, "{\"robot\": 1}", big, len + 1, NULL), FLUXCORE_ERR_INVALID_ARGUMENT, "scenario");
    EXPECT_STATUS(fluxcore_planner_destroy(p), FLUXCORE_OK, "");
    free(big);
}

static void test_fork(fluxcore_engine e)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(10); /* a hang ends the child with SIGALRM */
        char buf[64];
        fluxcore_status st = fluxcore_engine_info_json(e, buf, sizeof buf, NULL);
        _exit(st == FLUXCORE_ERR_FORKED && strstr(fluxcore_last_error(), "fork") != NULL ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0, "forked child: status %#x (want FLUXCORE_ERR_FORKED at once)", status);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s GOLDEN_DIR\n", argv[0]);
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/fno2d/input.npy", argv[1]);
    if (npy_read_f32(path, &input) != 0) return 1;
    snprintf(path, sizeof path, "%s/fno2d/output.npy", argv[1]);
    if (npy_read_f32(path, &reference) != 0) return 1;

    test_library();
    fluxcore_engine e = open_cpu(0);
    snprintf(path, sizeof path, "%s/fno2d/model.safetensors", argv[1]);
    EXPECT_STATUS(fluxcore_fno_load(e, path, &model), FLUXCORE_OK, "");
    test_bad_arguments(e, argv[1]);
    EXPECT(run_threads(4, own_errors) == 0, "a thread read another thread's message");
    EXPECT(run_threads(8, forward_many) == 0, "concurrent forwards on one model failed or differed");
    test_strided_input();
    test_hostile_descriptions();
    test_budget(argv[1]);
    test_conserve_and_kalman(e);
    snprintf(path, sizeof path, "%s/../../../../examples/corridor.json", argv[1]);
    test_planner(e, path);
    test_fork(e);

    EXPECT_STATUS(fluxcore_engine_destroy(e), FLUXCORE_ERR_BUSY, "destroy them first");
    pthread_t t[4];
    for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, until_destroyed, NULL);
    usleep(20000);
    EXPECT_STATUS(fluxcore_fno_destroy(model), FLUXCORE_OK, "");
    long odd = 0;
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(t[i], &r);
        odd += (long)r;
    }
    EXPECT(odd == 0, "a call racing the destroy got a status other than OK or a dead handle");
    EXPECT_STATUS(fluxcore_fno_destroy(model), FLUXCORE_ERR_INVALID_ARGUMENT, "not live");
    EXPECT_STATUS(fluxcore_engine_destroy(e), FLUXCORE_OK, "");
    free(input.data);
    free(reference.data);
    if (failures) {
        fprintf(stderr, "abi_test: %d failures\n", failures);
        return 1;
    }
    printf("abi_test: pass (DLPack layout checked against %s)\n", LAYOUT_CHECKED_AGAINST);
    return 0;
}
