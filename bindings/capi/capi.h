// capi.h: the helpers that the Go code and the generated entry points share.
#ifndef FLUXCORE_CAPI_H
#define FLUXCORE_CAPI_H

#include "../include/fluxcore.h"

// FC_ERROR_BYTES bounds a thread's last-error message, its NUL included.
#define FC_ERROR_BYTES 2048

int fc_forked(void);
fluxcore_status fc_forked_status(void);
void fc_set_error(const char *msg, size_t len);
void fc_set_error_c(const char *msg);
fluxcore_dl_managed_tensor *fc_alloc_tensor(int32_t ndim, const int64_t *shape, size_t elem_bytes,
                                            size_t count);

// Implemented in Go (version.go).
char *fcgo_version(void);

#endif
