#!/usr/bin/env bash
# Installs what the C/C++ and Python bindings' tests need from Debian: a C++ compiler, cmake,
# pkg-config, and NumPy for the Python package (with setuptools, wheel and pip to build and
# install it offline). Safe to run twice; does nothing when all are present.
set -euo pipefail
missing=()
command -v g++ >/dev/null || missing+=(g++)
command -v cmake >/dev/null || missing+=(cmake)
command -v pkg-config >/dev/null || missing+=(pkg-config)
/usr/bin/python3 -c 'import numpy' 2>/dev/null || missing+=(python3-numpy)
/usr/bin/python3 -c 'import setuptools, wheel' 2>/dev/null || missing+=(python3-setuptools python3-wheel)
/usr/bin/python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
bash "$(dirname "$0")/apt-install.sh" "${missing[@]}"
