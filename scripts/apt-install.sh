#!/usr/bin/env bash
# Installs Debian packages non-interactively, through sudo when not root:
#   scripts/apt-install.sh PACKAGE...
# The install-*-deps.sh scripts work out what is missing and call it.
set -euo pipefail
[ $# -gt 0 ] || exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "apt-install: installing $*"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "$@"
