/* host_symbols.c: a host program that defines names the Go runtime also uses (crosscall2,
 * fatalf, _cgo_panic). Linked statically against libfluxcore.a it must build and run: the
 * archive's only global definitions are the C ABI's functions. */
#include <stdio.h>
#include <string.h>

#include "fluxcore.h"

int crosscall2 = 7;
void fatalf(const char *msg) { fputs(msg, stdout); }
void _cgo_panic(void) {}

int main(void)
{
    fatalf("host_symbols: the host's own fatalf, crosscall2 and _cgo_panic link beside libfluxcore.a; ");
    printf("%s\n", fluxcore_version());
    return crosscall2 == 7 && fluxcore_abi_version() == FLUXCORE_ABI_VERSION && strstr(fluxcore_version(), "C ABI") ? 0 : 1;
}
