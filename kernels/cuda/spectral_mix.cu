// spectral_mix.cu: one thread per output element (b, o, k) of fc_spectral.h's channel mixing.
// k is the fastest-varying thread index, so the loads of in[b,i,k] and W[i,o,k] and the store
// of out[b,o,k] are coalesced across a warp. Grid: x over modes, y over output channels,
// z over batch rows. gridDim.y and .z are capped at 65535, so larger extents stride.
#include "../include/fc_spectral.h"

extern "C" __global__ void fc_spectral_mix(const fc_c32 *__restrict__ in, const fc_c32 *__restrict__ w,
                                           fc_c32 *__restrict__ out, int nBatch, int nIn, int nOut,
                                           int nModes)
{
    int k = blockIdx.x * blockDim.x + threadIdx.x;
    if (k >= nModes) {
        return;
    }
    for (int o = blockIdx.y; o < nOut; o += gridDim.y) {
        for (int b = blockIdx.z; b < nBatch; b += gridDim.z) {
            out[fc_mix_out_index(b, o, k, nOut, nModes)] = fc_spectral_mix_point(in, w, b, o, k, nIn, nOut, nModes);
        }
    }
}
