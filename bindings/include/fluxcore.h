/* fluxcore.h: the C ABI of fluxcore (libfluxcore.so / libfluxcore.a, built by `make lib`).
 *
 * Conventions, for every function:
 *   - Engines are integer handles (> 0). No pointer into Go memory ever reaches the caller.
 *   - Functions return 0 on success and -1 on failure; fluxcore_errmsg then gives the reason.
 *     Errors of fluxcore_open, which has no handle yet, are read with handle 0.
 *   - Buffers are owned by the caller and used only during the call.
 *   - Complex arrays are interleaved (re, im) float32 pairs, as C99 float _Complex.
 *   - Every function is safe to call from several threads; one engine runs calls
 *     concurrently.
 *
 * The ABI version changes whenever a signature or a convention above changes. */
#ifndef FLUXCORE_H
#define FLUXCORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FLUXCORE_ABI_VERSION 1

typedef int64_t fluxcore_handle;

/* The ABI version of the loaded library; compare with FLUXCORE_ABI_VERSION. */
int fluxcore_abi_version(void);

/* Opens an engine. device: "auto", "cpu", "cuda" or "cuda:N"; cpu_variant: "auto",
 * "generic", "avx2" or "avx512". NULL or "" defers to FLUXCORE_DEVICE / FLUXCORE_CPU. */
int fluxcore_open(const char *device, const char *cpu_variant, fluxcore_handle *out);

/* Closes an engine; the handle becomes invalid. */
int fluxcore_close(fluxcore_handle h);

/* Sets the memory budget of engine h: the bytes its buffers may hold at once (0 restores the
 * default, 2 GiB; negative is an error). A call that would exceed it fails with a message
 * naming the bytes it needed. Buffers already held stay. */
int fluxcore_set_memory_budget(fluxcore_handle h, int64_t bytes);

/* Writes the engine's description (the JSON of `fluxcore info --json`) into buf, NUL
 * terminated, and stores its length (without the NUL) in *len_out. A buffer that is too
 * small is an error; *len_out then says how large it must be, less one. */
int fluxcore_info_json(fluxcore_handle h, char *buf, size_t buf_len, size_t *len_out);

/* Fourier-layer channel mixing, out[b,o,k] = sum_i in[b,i,k] * w[i,o,k], complex64:
 * in has batch*n_in*n_modes complex values, w n_in*n_out*n_modes, out batch*n_out*n_modes. */
int fluxcore_spectral_mix(fluxcore_handle h, const float *in, const float *w, float *out, int32_t batch,
                          int32_t n_in, int32_t n_out, int32_t n_modes);

/* Copies the message of the last failed call on handle h (0 for fluxcore_open) into buf,
 * NUL terminated and truncated to buf_len. Returns the message's full length. */
size_t fluxcore_errmsg(fluxcore_handle h, char *buf, size_t buf_len);

#ifdef __cplusplus
}
#endif

#endif
