/* overhead.c: what a call into libfluxcore costs from C.
 *
 *   overhead GOLDEN_DIR [MINIMAL_CALLS [FORWARD_CALLS]]
 *
 * "minimal" is fluxcore_fno_output_shape: the entry point, the fork check, the handle
 * lookup and the tensor checks, with no computation. "forward" is a warm
 * fluxcore_fno_forward of the smallest golden model (fno1d, one sample of 64 points), the
 * number to compare with Python's call of the same model. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "fluxcore.h"
#include "../examples/npy.h"

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static void must(fluxcore_status st, const char *what)
{
    if (st != FLUXCORE_OK) {
        fprintf(stderr, "%s: %s\n", what, fluxcore_last_error());
        exit(1);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s GOLDEN_DIR [MINIMAL_CALLS [FORWARD_CALLS]]\n", argv[0]);
        return 2;
    }
    long iters = argc > 2 ? atol(argv[2]) : 1000000;
    long fwd = argc > 3 ? atol(argv[3]) : (iters / 100 > 0 ? iters / 100 : 1);
    char path[4096];
    npy_f32 x;
    snprintf(path, sizeof path, "%s/fno1d/input.npy", argv[1]);
    if (npy_read_f32(path, &x) != 0) return 1;
    x.shape[0] = 1; /* one sample */

    fluxcore_engine e;
    fluxcore_engine_options opts = {.struct_size = sizeof opts, .device = "cpu", .threads = 1};
    must(fluxcore_engine_create(&opts, &e), "engine");
    fluxcore_fno m;
    snprintf(path, sizeof path, "%s/fno1d/model.safetensors", argv[1]);
    must(fluxcore_fno_load(e, path, &m), "load");

    fluxcore_dl_tensor in = {.data = x.data, .device = {FLUXCORE_DL_CPU, 0}, .ndim = x.ndim,
                             .dtype = {FLUXCORE_DL_FLOAT, 32, 1}, .shape = x.shape};
    int64_t shape[8];
    float y[64];
    fluxcore_dl_tensor out = in;
    out.data = y;
    out.shape = shape;
    must(fluxcore_fno_output_shape(m, &in, shape), "output_shape");

    for (int round = 0; round < 3; round++) {
        double t0 = now_ns();
        for (long i = 0; i < iters; i++) fluxcore_fno_output_shape(m, &in, shape);
        double minimal = (now_ns() - t0) / iters;
        must(fluxcore_fno_forward(m, &in, NULL, &out, NULL), "forward");
        t0 = now_ns();
        for (long i = 0; i < fwd; i++) fluxcore_fno_forward(m, &in, NULL, &out, NULL);
        double forward = (now_ns() - t0) / fwd;
        printf("round %d: minimal call %.0f ns (%ld calls), warm forward fno1d [1, 64, 1] %.1f us (%ld calls)\n", round,
               minimal, iters, forward / 1e3, fwd);
    }
    must(fluxcore_fno_destroy(m), "destroy model");
    must(fluxcore_engine_destroy(e), "destroy engine");
    free(x.data);
    return 0;
}
