#!/bin/bash
# Queues a sharded `fluxcore batch fno` and its merge:
#
#   MODEL=m.safetensors INPUT=x.npy OUT_DIR=/shared/run1 OUTPUT=/shared/y.npy SHARDS=8 \
#     FLUXCORE_ARGS="--batch-size 32" deploy/slurm/submit.sh [extra sbatch options]
#
# It prints the two job ids: the array job (one task per shard) and the merge job.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shards=${SHARDS:-4}
: "${MODEL:?}" "${INPUT:?}" "${OUT_DIR:?}" "${OUTPUT:?}"
array=$(sbatch --parsable --array="0-$((shards - 1))" --export=ALL "$@" "$here/fno-array.sbatch")
array=${array%%;*} # "id;cluster" on a multi-cluster setup
merge=$(sbatch --parsable --dependency="afterok:$array" --kill-on-invalid-dep=yes --export=ALL "$@" "$here/fno-merge.sbatch")
merge=${merge%%;*}
echo "$array $merge"
