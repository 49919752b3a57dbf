/* mix.c: uses libfluxcore from C. It opens an engine, prints where it runs, mixes one
 * FNO-sized batch, and checks the result against a plain double-precision loop. */
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "fluxcore.h"

static void fail(fluxcore_handle h, const char *what)
{
    char msg[512];
    fluxcore_errmsg(h, msg, sizeof msg);
    fprintf(stderr, "%s: %s\n", what, msg);
    exit(1);
}

int main(void)
{
    if (fluxcore_abi_version() != FLUXCORE_ABI_VERSION) {
        fprintf(stderr, "header ABI %d, library ABI %d\n", FLUXCORE_ABI_VERSION, fluxcore_abi_version());
        return 1;
    }
    fluxcore_handle h;
    if (fluxcore_open(NULL, NULL, &h) != 0) fail(0, "fluxcore_open");

    char info[4096];
    size_t len;
    if (fluxcore_info_json(h, info, sizeof info, &len) != 0) fail(h, "fluxcore_info_json");
    printf("engine: %.160s...\n", info);

    enum { NB = 8, NI = 16, NO = 12, NK = 40 };
    float complex *in = malloc(sizeof(float complex) * NB * NI * NK);
    float complex *w = malloc(sizeof(float complex) * NI * NO * NK);
    float complex *out = malloc(sizeof(float complex) * NB * NO * NK);
    srand(42);
    for (int n = 0; n < NB * NI * NK; n++) in[n] = (rand() / (float)RAND_MAX - 0.5f) + _Complex_I * (rand() / (float)RAND_MAX - 0.5f);
    for (int n = 0; n < NI * NO * NK; n++) w[n] = (rand() / (float)RAND_MAX - 0.5f) + _Complex_I * (rand() / (float)RAND_MAX - 0.5f);

    if (fluxcore_spectral_mix(h, (const float *)in, (const float *)w, (float *)out, NB, NI, NO, NK) != 0)
        fail(h, "fluxcore_spectral_mix");

    double num = 0, den = 0;
    for (int b = 0; b < NB; b++)
        for (int o = 0; o < NO; o++)
            for (int k = 0; k < NK; k++) {
                double complex want = 0;
                for (int i = 0; i < NI; i++) want += (double complex)in[(b * NI + i) * NK + k] * w[(i * NO + o) * NK + k];
                double complex d = out[(b * NO + o) * NK + k] - want;
                num += creal(d * conj(d));
                den += creal(want * conj(want));
            }
    double rel = sqrt(num / den);
    printf("spectral mix %dx%d->%dx%d: relative L2 error vs double loop = %.2e\n", NB, NI, NO, NK, rel);

    /* A bad call reports why instead of crashing. */
    if (fluxcore_spectral_mix(h, (const float *)in, (const float *)w, (float *)out, NB, NI, NO, 0) == 0) {
        fprintf(stderr, "zero modes was accepted\n");
        return 1;
    }
    char msg[256];
    fluxcore_errmsg(h, msg, sizeof msg);
    printf("bad shape rejected: %s\n", msg);

    /* So does a call past the engine's memory budget. */
    if (fluxcore_set_memory_budget(h, 1024) != 0) fail(h, "fluxcore_set_memory_budget");
    if (fluxcore_spectral_mix(h, (const float *)in, (const float *)w, (float *)out, NB, NI, NO, NK) == 0) {
        fprintf(stderr, "a mix past a 1 KiB budget was accepted\n");
        return 1;
    }
    fluxcore_errmsg(h, msg, sizeof msg);
    printf("over budget: %s\n", msg);

    fluxcore_close(h);
    free(in);
    free(w);
    free(out);
    return rel <= 1e-5 ? 0 : 1;
}
