// The C side of the ABI: what must work without entering Go. A child process after fork()
// has no Go runtime threads, so every entry point checks the fork flag here first; and the
// last-error message lives in per-thread C storage, so it belongs to the calling thread.
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "capi.h"

static volatile int forked;

static void mark_forked(void) { forked = 1; }

__attribute__((constructor)) static void watch_fork(void) { pthread_atfork(NULL, NULL, mark_forked); }

// A thread's message buffer is allocated at its first failure and freed when it exits. A
// pthread key rather than __thread: a dlopen()ed library (Python's ctypes) gets only a small
// static TLS surplus, which a 2 KiB __thread array overflows.
static pthread_key_t error_key;
static pthread_once_t error_once = PTHREAD_ONCE_INIT;

static void make_error_key(void) { pthread_key_create(&error_key, free); }

int fc_forked(void) { return forked; }

fluxcore_status fc_forked_status(void)
{
    fc_set_error_c("fluxcore: called in a child process after fork(); the library's Go runtime does not "
                   "survive fork. Load fluxcore in the child, or start workers with \"spawn\"");
    return FLUXCORE_ERR_FORKED;
}

void fc_set_error(const char *msg, size_t len)
{
    pthread_once(&error_once, make_error_key);
    char *buf = pthread_getspecific(error_key);
    if (buf == NULL) {
        buf = malloc(FC_ERROR_BYTES);
        if (buf == NULL || pthread_setspecific(error_key, buf) != 0) {
            free(buf);
            return; // no message rather than no status
        }
    }
    if (len >= FC_ERROR_BYTES) len = FC_ERROR_BYTES - 1;
    if (len > 0) memcpy(buf, msg, len);
    buf[len] = 0;
}

void fc_set_error_c(const char *msg) { fc_set_error(msg, strlen(msg)); }

const char *fluxcore_last_error(void)
{
    pthread_once(&error_once, make_error_key);
    const char *buf = pthread_getspecific(error_key);
    return buf != NULL ? buf : "";
}

int fluxcore_abi_version(void) { return FLUXCORE_ABI_VERSION; }

// version is computed once by Go (which reads its build information) and kept for the
// process: a forked child still gets the string.
static const char *version;
static pthread_once_t version_once = PTHREAD_ONCE_INIT;

static void load_version(void) { version = fcgo_version(); }

const char *fluxcore_version(void)
{
    if (forked) return version != NULL ? version : "fluxcore (version unknown: called after fork)";
    pthread_once(&version_once, load_version);
    return version;
}

const char *fluxcore_status_name(fluxcore_status status)
{
    switch (status) {
    case FLUXCORE_OK: return "FLUXCORE_OK";
    case FLUXCORE_ERR_INVALID_ARGUMENT: return "FLUXCORE_ERR_INVALID_ARGUMENT";
    case FLUXCORE_ERR_OUT_OF_MEMORY: return "FLUXCORE_ERR_OUT_OF_MEMORY";
    case FLUXCORE_ERR_IO: return "FLUXCORE_ERR_IO";
    case FLUXCORE_ERR_UNSUPPORTED: return "FLUXCORE_ERR_UNSUPPORTED";
    case FLUXCORE_ERR_DEVICE: return "FLUXCORE_ERR_DEVICE";
    case FLUXCORE_ERR_CANCELLED: return "FLUXCORE_ERR_CANCELLED";
    case FLUXCORE_ERR_INTERNAL: return "FLUXCORE_ERR_INTERNAL";
    case FLUXCORE_ERR_BUSY: return "FLUXCORE_ERR_BUSY";
    case FLUXCORE_ERR_FORKED: return "FLUXCORE_ERR_FORKED";
    }
    return "unknown status";
}

// A tensor fluxcore allocates for its caller is one malloc block: the managed tensor, then
// its shape, then the data (aligned to 64 bytes), so the deleter is a single free.
static void free_block(fluxcore_dl_managed_tensor *self) { free(self); }

fluxcore_dl_managed_tensor *fc_alloc_tensor(int32_t ndim, const int64_t *shape, size_t elem_bytes,
                                            size_t count)
{
    size_t head = sizeof(fluxcore_dl_managed_tensor) + (size_t)ndim * sizeof(int64_t);
    head = (head + 63) & ~(size_t)63;
    if (count > (SIZE_MAX - head - 64) / elem_bytes) return NULL;
    char *block = aligned_alloc(64, (head + count * elem_bytes + 63) & ~(size_t)63);
    if (block == NULL) return NULL;
    fluxcore_dl_managed_tensor *t = (fluxcore_dl_managed_tensor *)block;
    memset(t, 0, sizeof *t);
    int64_t *dims = (int64_t *)(block + sizeof *t);
    memcpy(dims, shape, (size_t)ndim * sizeof(int64_t));
    t->dl_tensor.data = block + head;
    t->dl_tensor.device.device_type = FLUXCORE_DL_CPU;
    t->dl_tensor.ndim = ndim;
    t->dl_tensor.shape = dims;
    t->deleter = free_block;
    return t;
}
