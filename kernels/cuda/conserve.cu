// conserve.cu: ProbConserv's update (fc_conserve.h), one thread per slice. A slice is a
// chain of small dense solves that depend on each other, and the batch is what runs in
// parallel; each thread's scratch is its own workStride doubles of global memory.
#include "../include/fc_conserve.h"

extern "C" __global__ void fc_conserve(const void *mean, const void *variances, const void *cov, const void *ens,
                                       const void *g, const void *rhs, void *outMean, void *outVar, void *outCov,
                                       void *outEns, double *work, int *status, long long slices, long long gStride,
                                       long long rhsStride, long long workStride, int n, int m, int members, int form,
                                       int dtype, double noiseVar)
{
    fc_conserve_args a;
    a.mean = mean; a.var = variances; a.cov = cov; a.ens = ens; a.g = g; a.rhs = rhs;
    a.outMean = outMean; a.outVar = outVar; a.outCov = outCov; a.outEns = outEns;
    a.work = work; a.status = (int32_t *)status;
    a.slices = slices; a.gStride = gStride; a.rhsStride = rhsStride; a.workStride = workStride;
    a.n = n; a.m = m; a.members = members; a.form = form; a.dtype = dtype; a.noiseVar = noiseVar;
    for (long long s = blockIdx.x * (long long)blockDim.x + threadIdx.x; s < slices; s += (long long)gridDim.x * blockDim.x)
        status[s] = fc_conserve_slice(&a, s);
}
