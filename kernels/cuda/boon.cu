// boon.cu: BOON's face bookkeeping (fc_boon.h) and the scaled sum of a corrected layer.
//
// fc_faces is one thread per face point (o, f), x over f (coalesced within a face row), y over
// o (striding past the grid limit). fc_add_scaled is a grid-stride elementwise loop.
#include "../include/fc_boon.h"

extern "C" __global__ void fc_faces(float *dst, const float *x, const float *k, const float *probes,
                                    const float *left, const float *right, const float *stencil, int op,
                                    long long outer, long long n, long long inner, long long channels, long long lead,
                                    long long period, long long base, int smooth, int lenLeft, int lenRight)
{
    long long f = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (f >= inner) {
        return;
    }
    fc_faces_args a;
    a.op = op;
    a.outer = outer;
    a.n = n;
    a.inner = inner;
    a.channels = channels;
    a.lead = lead;
    a.period = period;
    a.base = base;
    a.smooth = smooth;
    a.lenLeft = lenLeft;
    a.lenRight = lenRight;
    a.dst = dst;
    a.x = x;
    a.k = k;
    a.probes = probes;
    a.left = left;
    a.right = right;
    a.stencil = stencil;
    for (long long o = blockIdx.y; o < outer; o += gridDim.y) {
        fc_faces_point(&a, o, f);
    }
}

extern "C" __global__ void fc_add_scaled(float *__restrict__ dst, const float *__restrict__ src, float scale,
                                         long long total)
{
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total;
         i += (long long)gridDim.x * blockDim.x) {
        dst[i] = fc_scaled_sum(dst[i], src[i], scale);
    }
}
