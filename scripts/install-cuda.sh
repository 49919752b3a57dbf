#!/usr/bin/env bash
# Installs Debian's CUDA 11.8 toolkit (nvcc, headers, cuFFT, the driver stub) and cmake.
# CUDA lives in Debian's contrib/non-free components, which a stock image does not enable,
# so the components line of the apt sources is widened first. Safe to run twice.
set -euo pipefail

if command -v nvcc >/dev/null && [ -f /usr/include/cuda.h ] && command -v cmake >/dev/null; then
  echo "install-cuda: nvcc $(nvcc --version | sed -n 's/.*release \([0-9.]*\).*/\1/p') and cmake already present"
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

src=/etc/apt/sources.list.d/debian.sources
if [ -f "$src" ]; then
  if ! grep -q '^Components:.*non-free' "$src"; then
    $sudo sed -i 's/^Components: main$/Components: main contrib non-free non-free-firmware/' "$src"
  fi
elif [ -f /etc/apt/sources.list ]; then
  $sudo sed -i '/^deb .*debian/ {/non-free/! s/ main$/ main contrib non-free non-free-firmware/}' /etc/apt/sources.list
fi

export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends nvidia-cuda-toolkit nvidia-cuda-dev cmake
nvcc --version | tail -2
