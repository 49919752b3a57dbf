/* fno_golden.c: runs an FNO checkpoint through libfluxcore from C and compares the output
 * with the reference PyTorch produced.
 *
 *   fno_golden CASE_DIR    (CASE_DIR holds model.safetensors, input.npy and output.npy)
 *
 * It opens an engine, loads the model, asks for the output shape, allocates the output
 * itself and runs the forward pass into it, the allocation-free path. */
#include <stdio.h>
#include <stdlib.h>

#include "fluxcore.h"
#include "npy.h"

#define CHECK(call)                                                                             \
    do {                                                                                        \
        fluxcore_status st_ = (call);                                                           \
        if (st_ != FLUXCORE_OK) {                                                               \
            fprintf(stderr, "%s: %s: %s\n", #call, fluxcore_status_name(st_), fluxcore_last_error()); \
            return 1;                                                                           \
        }                                                                                       \
    } while (0)

static fluxcore_dl_tensor host_f32(float *data, int32_t ndim, int64_t *shape)
{
    fluxcore_dl_tensor t = {0};
    t.data = data;
    t.device.device_type = FLUXCORE_DL_CPU;
    t.ndim = ndim;
    t.dtype.code = FLUXCORE_DL_FLOAT;
    t.dtype.bits = 32;
    t.dtype.lanes = 1;
    t.shape = shape;
    return t;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CASE_DIR\n", argv[0]);
        return 2;
    }
    if (fluxcore_abi_version() != FLUXCORE_ABI_VERSION) {
        fprintf(stderr, "header ABI %d, library ABI %d\n", FLUXCORE_ABI_VERSION, fluxcore_abi_version());
        return 1;
    }
    char path[4096];
    npy_f32 x, want;
    snprintf(path, sizeof path, "%s/input.npy", argv[1]);
    if (npy_read_f32(path, &x) != 0) return 1;
    snprintf(path, sizeof path, "%s/output.npy", argv[1]);
    if (npy_read_f32(path, &want) != 0) return 1;

    fluxcore_engine_options opts = {.struct_size = sizeof opts};
    opts.device = "cpu";
    fluxcore_engine engine;
    CHECK(fluxcore_engine_create(&opts, &engine));
    fluxcore_fno model;
    snprintf(path, sizeof path, "%s/model.safetensors", argv[1]);
    CHECK(fluxcore_fno_load(engine, path, &model));

    fluxcore_dl_tensor in = host_f32(x.data, x.ndim, x.shape);
    int64_t shape[8];
    CHECK(fluxcore_fno_output_shape(model, &in, shape));
    int64_t count = 1;
    for (int i = 0; i < x.ndim; i++) count *= shape[i];
    if (count != want.count) {
        fprintf(stderr, "output has %lld values, the reference %lld\n", (long long)count, (long long)want.count);
        return 1;
    }
    float *y = malloc((size_t)count * sizeof(float));
    fluxcore_dl_tensor out = host_f32(y, x.ndim, shape);
    CHECK(fluxcore_fno_forward(model, &in, NULL, &out, NULL));

    double err = rel_l2(y, want.data, count);
    printf("%s: output [%lld", argv[1], (long long)shape[0]);
    for (int i = 1; i < x.ndim; i++) printf(", %lld", (long long)shape[i]);
    printf("], relative L2 error %.2e against PyTorch\n", err);

    CHECK(fluxcore_fno_destroy(model));
    CHECK(fluxcore_engine_destroy(engine));
    free(y);
    free(x.data);
    free(want.data);
    return err <= 1e-5 ? 0 : 1;
}
