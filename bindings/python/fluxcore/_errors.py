"""fluxcore.Error and the status codes of fluxcore.h."""

OK = 0
INVALID_ARGUMENT = 1
OUT_OF_MEMORY = 2
IO = 3
UNSUPPORTED = 4
DEVICE = 5
CANCELLED = 6
INTERNAL = 7
BUSY = 8
FORKED = 9

NAMES = {
    OK: "OK", INVALID_ARGUMENT: "INVALID_ARGUMENT", OUT_OF_MEMORY: "OUT_OF_MEMORY", IO: "IO",
    UNSUPPORTED: "UNSUPPORTED", DEVICE: "DEVICE", CANCELLED: "CANCELLED", INTERNAL: "INTERNAL",
    BUSY: "BUSY", FORKED: "FORKED",
}


class Error(Exception):
    """Every failure of fluxcore: code is the status (fluxcore.INVALID_ARGUMENT, ...), and the
    message names the argument, its value and the limit."""

    def __init__(self, code, message):
        super().__init__("%s: %s" % (NAMES.get(code, "status %d" % code), message))
        self.code = code
        self.message = message
