// fft.cu: the mode bookkeeping around cuFFT.
//
// fc_hermitian_columns makes the DC and Nyquist columns of a [batch, n0, n1, half] spectrum
// Hermitian over the outer axes (fc_hermitian_pair), which is what cuFFT's multi-dimensional
// C2R assumes; numpy computes the same result from the unsymmetrized spectrum. One thread
// per outer bin; the thread whose bin comes first in its (k, −k) pair does the pair. Grid:
// x over outer bins, y over the one or two columns, z over the batch (striding past 65535).
//
// fc_gather_modes is one thread per destination entry of fc_gather_mode: x over entries of a
// row (coalesced), y over rows (striding).
#include "../include/fc_fft.h"

extern "C" __global__ void fc_hermitian_columns(fc_c32 *spectrum, int batch, int n0, int n1, int half, int nyquist)
{
    int bin = blockIdx.x * blockDim.x + threadIdx.x;
    if (bin >= n0 * n1) {
        return;
    }
    int k0 = bin / n1, k1 = bin % n1;
    int mirror = ((n0 - k0) % n0) * n1 + (n1 - k1) % n1;
    if (mirror < bin) {
        return;
    }
    int column = blockIdx.y == 0 ? 0 : nyquist;
    for (long long b = blockIdx.z; b < batch; b += gridDim.z) {
        fc_c32 *grid = spectrum + b * (long long)n0 * n1 * half + column;
        fc_hermitian_pair(grid + (long long)bin * half, grid + (long long)mirror * half);
    }
}

extern "C" __global__ void fc_gather_modes(const fc_c32 *__restrict__ src, fc_c32 *__restrict__ dst,
                                           const int *__restrict__ index, long long rows, long long srcLen,
                                           long long dstLen, float scale)
{
    long long j = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= dstLen) {
        return;
    }
    int i = index[j];
    for (long long r = blockIdx.y; r < rows; r += gridDim.y) {
        dst[r * dstLen + j] = fc_gather_mode(src + r * srcLen, i, scale);
    }
}
