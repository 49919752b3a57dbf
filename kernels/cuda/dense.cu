// dense.cu: the dense operations of fc_gemm.h on the GPU.
//
// fc_gemm is a shared-memory tiled product: each 16×16 block stages 16×16 tiles of A and B
// and each thread accumulates one element of C in the same ascending-k order as the CPU, then
// applies the shared epilogue fc_gemm_finish. Grid: x over column tiles, y over row tiles,
// z over the batch (striding past 65535).
#include "../include/fc_gemm.h"

#define FC_GEMM_TILE 16

extern "C" __global__ void fc_gemm(const float *a, const float *b, float *c, const float *bias, const float *addend,
                                   long long lda, long long ldb, long long ldc, long long ldd, long long strideA,
                                   long long strideB, long long strideC, long long strideD, int m, int n, int k,
                                   int batch, int act)
{
    __shared__ float as[FC_GEMM_TILE][FC_GEMM_TILE];
    __shared__ float bs[FC_GEMM_TILE][FC_GEMM_TILE + 1];
    fc_gemm_args g;
    g.a = a; g.b = b; g.c = c; g.bias = bias; g.addend = addend;
    g.lda = lda; g.ldb = ldb; g.ldc = ldc; g.ldd = ldd;
    g.strideA = strideA; g.strideB = strideB; g.strideC = strideC; g.strideD = strideD;
    g.m = m; g.n = n; g.k = k; g.batch = batch; g.act = act;

    int tx = threadIdx.x, ty = threadIdx.y;
    int row = blockIdx.y * FC_GEMM_TILE + ty;
    int col = blockIdx.x * FC_GEMM_TILE + tx;
    for (long long z = blockIdx.z; z < batch; z += gridDim.z) {
        const float *az = a + z * strideA;
        const float *bz = b + z * strideB;
        float acc = 0.0f;
        for (int p0 = 0; p0 < k; p0 += FC_GEMM_TILE) {
            int arow = blockIdx.y * FC_GEMM_TILE + ty, acol = p0 + tx;
            as[ty][tx] = (arow < m && acol < k) ? az[arow * lda + acol] : 0.0f;
            int brow = p0 + ty, bcol = blockIdx.x * FC_GEMM_TILE + tx;
            bs[ty][tx] = (brow < k && bcol < n) ? bz[brow * ldb + bcol] : 0.0f;
            __syncthreads();
            for (int p = 0; p < FC_GEMM_TILE; p++) acc += as[ty][p] * bs[p][tx];
            __syncthreads();
        }
        if (row < m && col < n) c[z * strideC + row * ldc + col] = fc_gemm_finish(&g, z, row, col, acc);
    }
}

// fc_mlp: one thread per point (batch entry, column), so that neighbouring threads read
// neighbouring columns of X while every thread of a warp reads the same weight. A thread
// computes each hidden unit once per group of FC_MLP_OUT outputs, which it accumulates in
// registers; the usual projection has one to a few outputs, so that is once.
#define FC_MLP_OUT 8

extern "C" __global__ void fc_mlp(const float *x, float *y, const float *w1, const float *bias1, const float *w2,
                                  const float *bias2, long long ldx, long long ldy, long long strideX,
                                  long long strideY, int in, int hidden, int out, int n, int batch, int act)
{
    fc_mlp_args g;
    g.x = x; g.y = y; g.w1 = w1; g.bias1 = bias1; g.w2 = w2; g.bias2 = bias2;
    g.ldx = ldx; g.ldy = ldy; g.strideX = strideX; g.strideY = strideY;
    g.in = in; g.hidden = hidden; g.out = out; g.n = n; g.batch = batch; g.act = act;

    long long total = (long long)batch * n;
    for (long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x; t < total; t += (long long)gridDim.x * blockDim.x) {
        long long z = t / n;
        int col = (int)(t % n);
        const float *xc = x + z * strideX + col;
        for (int o0 = 0; o0 < out; o0 += FC_MLP_OUT) {
            float acc[FC_MLP_OUT];
            for (int o = 0; o < FC_MLP_OUT; o++) acc[o] = 0.0f;
            for (int h = 0; h < hidden; h++) {
                float a = fc_mlp_hidden(&g, xc, h);
                for (int o = 0; o < FC_MLP_OUT; o++)
                    if (o0 + o < out) acc[o] += w2[(long long)(o0 + o) * hidden + h] * a;
            }
            for (int o = 0; o < FC_MLP_OUT && o0 + o < out; o++)
                y[z * strideY + (long long)(o0 + o) * ldy + col] = acc[o] + (bias2 ? bias2[o0 + o] : 0.0f);
        }
    }
}

// One thread per complex output value (outer, k, pair).
extern "C" __global__ void fc_complex_combine(const float *p, float *z, long long outer, int nRows, long long pairs)
{
    long long total = outer * nRows * pairs;
    for (long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x; t < total; t += (long long)gridDim.x * blockDim.x) {
        long long j = t % pairs;
        int k = (int)((t / pairs) % nRows);
        long long o = t / (pairs * nRows);
        long long rowFloats = 2 * pairs;
        fc_complex_combine_pair(p + o * 2 * nRows * rowFloats + 2 * j, z + (o * nRows + k) * rowFloats + 2 * j, k,
                                nRows, rowFloats);
    }
}

// One thread per destination element of a [outer, d0, d1, d2] box copy with zero fill.
extern "C" __global__ void fc_copy_box(const float *src, float *dst, long long outer, int s0, int s1, int s2, int d0,
                                       int d1, int d2)
{
    long long total = outer * d0 * d1 * d2;
    for (long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x; t < total; t += (long long)gridDim.x * blockDim.x) {
        int k = (int)(t % d2);
        int j = (int)((t / d2) % d1);
        int i = (int)((t / ((long long)d2 * d1)) % d0);
        long long o = t / ((long long)d2 * d1 * d0);
        dst[t] = (i < s0 && j < s1 && k < s2) ? src[((o * s0 + i) * s1 + j) * s2 + k] : 0.0f;
    }
}

// One thread per element of batch views of rows × cols, row stride ld, batch stride
// batchStride, in place.
extern "C" __global__ void fc_activate_rows(float *x, long long ld, long long batchStride, long long batch,
                                            long long rows, int cols, int act)
{
    long long total = batch * rows * cols;
    for (long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x; t < total; t += (long long)gridDim.x * blockDim.x) {
        long long row = t / cols;
        float *v = x + (row / rows) * batchStride + (row % rows) * ld + t % cols;
        *v = fc_activate(act, *v);
    }
}
