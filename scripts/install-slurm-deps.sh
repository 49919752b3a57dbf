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
bash "$(dirname "$0")/apt-install.sh" "${missing[@]}"
