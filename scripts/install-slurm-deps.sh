#!/usr/bin/env bash
# Installs Debian's Slurm and munge (and NumPy, for the test's input) for
# scripts/slurm-local.sh. Safe to run twice; does nothing when all are present. The
# packages' own services are not started: there is no systemd here, and the script starts
# the daemons it needs itself.
set -euo pipefail
missing=()
command -v slurmctld >/dev/null || missing+=(slurm-wlm)
command -v munged >/dev/null || missing+=(munge)
/usr/bin/python3 -c 'import numpy' 2>/dev/null || missing+=(python3-numpy)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-slurm-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
