// kalman.cu: one step of many small Kalman filters (fc_kalman.h), one thread per filter. The
// batch-innermost layout makes every load and store of a warp one coalesced transaction, and
// the filter's matrices stay in registers and local memory.
#include "../include/fc_kalman.h"

extern "C" __global__ void fc_kalman(void *x, void *p, const void *f, const void *q, const void *h, const void *r,
                                     const void *z, int *status, long long batch, int nx, int nz, int dtype,
                                     int perFilterF, int perFilterQ, int perFilterH, int perFilterR, int update)
{
    fc_kalman_args a;
    a.x = x; a.p = p; a.f = f; a.q = q; a.h = h; a.r = r; a.z = z; a.status = (int32_t *)status;
    a.batch = batch; a.nx = nx; a.nz = nz; a.dtype = dtype;
    a.perFilterF = perFilterF; a.perFilterQ = perFilterQ; a.perFilterH = perFilterH; a.perFilterR = perFilterR;
    for (long long b = blockIdx.x * (long long)blockDim.x + threadIdx.x; b < batch; b += (long long)gridDim.x * blockDim.x) {
        if (update) {
            status[b] = fc_kalman_update(&a, b, nx, nz);
        } else {
            fc_kalman_predict(&a, b, nx);
        }
    }
}
