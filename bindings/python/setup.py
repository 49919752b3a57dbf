"""Builds the fluxcore package with the native library inside it.

The library comes from $FLUXCORE_LIBRARY when set, else from the source tree: `make lib` runs
at the repository root (Go's build cache makes a second run quick) and build/libfluxcore.so is
bundled as fluxcore/libfluxcore.so.N. The wheel is tagged for this platform and any Python 3
(py3-none-<platform>): the package uses ctypes and has no extension module.
"""

import os
import pathlib
import re
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

try:
    from wheel.bdist_wheel import bdist_wheel
except ImportError:  # building without the wheel package: no wheel command to tag
    bdist_wheel = None

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
# The C ABI version, from the one place the package states it (its tests check it against
# fluxcore.h).
ABI = int(re.search(r"^ABI_VERSION = (\d+)$", (HERE / "fluxcore" / "_native.py").read_text(), re.M).group(1))


def native_library():
    env = os.environ.get("FLUXCORE_LIBRARY")
    if env:
        return pathlib.Path(env)
    if not (ROOT / "bindings" / "include" / "fluxcore.h").exists():
        raise SystemExit("fluxcore: not in the source tree; set FLUXCORE_LIBRARY to a built libfluxcore.so")
    subprocess.run(["make", "-C", str(ROOT), "lib"], check=True)
    return ROOT / "build" / "libfluxcore.so"


class BuildWithLibrary(build_py):
    def run(self):
        super().run()
        target = pathlib.Path(self.build_lib) / "fluxcore" / ("libfluxcore.so.%d" % ABI)
        shutil.copyfile(native_library(), target)
        target.chmod(0o755)


class PlatformDistribution(Distribution):
    def has_ext_modules(self):
        return True  # a native library inside: platform-specific, installed to platlib


commands = {"build_py": BuildWithLibrary}
if bdist_wheel is not None:
    class PlatformWheel(bdist_wheel):
        def get_tag(self):
            _, _, platform = super().get_tag()
            return "py3", "none", platform

    commands["bdist_wheel"] = PlatformWheel

setup(cmdclass=commands, distclass=PlatformDistribution)
