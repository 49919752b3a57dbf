#!/usr/bin/env bash
# python-test.sh BUILD: the Python package's tests (after `make lib`), with Debian's
# /usr/bin/python3 and its NumPy:
#  1. the unit tests in-tree, against BUILD/libfluxcore.so;
#  2. `pip install --no-build-isolation --no-index` into a scratch directory, offline, and
#     the installed copy runs a golden with its bundled library;
#  3. `make wheel`'s command, and the wheel's platform tag and bundled library.
set -euo pipefail
build=$1
py=/usr/bin/python3
export PIP_ROOT_USER_ACTION=ignore  # CI runs as root; the install goes to a scratch --target
PYTHONPATH=bindings/python $py -m unittest discover -s bindings/python/tests

target=$build/python-install
rm -rf "$target"
$py -m pip install -q --no-build-isolation --no-index --no-deps --target "$target" ./bindings/python
(cd "$build" && PYTHONPATH="$PWD/python-install" FLUXCORE_LIBRARY= $py - <<'PY'
import pathlib, numpy as np, fluxcore
from fluxcore import _native
lib = pathlib.Path(_native.lib._name)
assert lib.parent == pathlib.Path(fluxcore.__file__).parent, "loaded %s, not the bundled library" % lib
g = pathlib.Path("../engine/fno/testdata/golden/fno3d")
with fluxcore.Engine() as e, e.load_fno(g / "model.safetensors") as m:
    y, want = m(np.load(g / "input.npy")), np.load(g / "output.npy")
err = np.linalg.norm(y - want) / np.linalg.norm(want)
assert err <= 1e-5, err
print("python-test: pip-installed package, bundled %s: fno3d relative L2 %.2e" % (lib.name, err))
PY
)

rm -rf "$build/wheel"
$py -m pip wheel -q --no-build-isolation --no-index --no-deps -w "$build/wheel" ./bindings/python
wheel=$(ls "$build"/wheel/fluxcore-*.whl)
case $(basename "$wheel") in
  *-py3-none-linux_*.whl) ;;
  *) echo "python-test: $wheel lacks a py3-none-linux platform tag" >&2; exit 1 ;;
esac
$py -m zipfile -l "$wheel" | grep -q 'fluxcore/libfluxcore.so.2' || { echo "python-test: $wheel bundles no library" >&2; exit 1; }
echo "python-test: $(basename "$wheel") bundles fluxcore/libfluxcore.so.2"
