#!/usr/bin/env bash
# Runs deploy/slurm's example on a real, single-node Slurm started here: munged, slurmctld
# and slurmd as root without systemd, in a temporary directory with their own socket and
# ports. It submits the array job over 4 shards and the merge, waits for both, and checks
# that the merged output is byte-for-byte `fluxcore fno` on the whole input. It stops the
# daemons it started, by their PIDs.
#
#   scripts/slurm-local.sh [BUILD_DIR]      (BUILD_DIR holds the fluxcore binary; default build)
#
# SLURM_LOCAL_PORT (default 16817) moves slurmctld's port; slurmd takes the next one.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
fluxcore=$build/fluxcore
port=${SLURM_LOCAL_PORT:-16817}
shards=4

work=$(mktemp -d /tmp/fluxcore-slurm.XXXXXX)
chmod 755 "$work" # munged runs as the munge user
pids=()
cleanup() {
  status=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  if [ "$status" -ne 0 ]; then
    echo "slurm-local: failed; logs:" >&2
    tail -n 20 "$work"/*.log "$work"/run/*.log 2>/dev/null >&2 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# munged with its own socket, so that a munged already running is left alone.
install -d -o munge -g munge -m 0755 "$work/munge"
runuser -u munge -- /usr/sbin/munged --foreground --socket="$work/munge/socket" --pid-file="$work/munge/pid" \
  --seed-file="$work/munge/seed" --log-file="$work/munge.log" --key-file=/etc/munge/munge.key >>"$work/munge.log" 2>&1 &
pids+=($!)

mkdir -p "$work/state" "$work/spool" "$work/run"
export SLURM_CONF=$work/slurm.conf
cat > "$SLURM_CONF" <<CONF
ClusterName=fluxcore-local
SlurmctldHost=localhost
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$work/munge/socket
CredType=cred/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
MinJobAge=600
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=local Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF

for _ in $(seq 50); do [ -S "$work/munge/socket" ] && break; sleep 0.1; done
/usr/sbin/slurmctld -D -c -f "$SLURM_CONF" >>"$work/slurmctld.log" 2>&1 &
pids+=($!)
/usr/sbin/slurmd -D -N localhost -f "$SLURM_CONF" >>"$work/slurmd.log" 2>&1 &
pids+=($!)
for i in $(seq 100); do
  state=$(sinfo -h -o %T 2>/dev/null || true)
  [ "$state" = idle ] && break
  [ "$i" = 100 ] && { echo "slurm-local: the node never became idle (state: ${state:-none})" >&2; exit 1; }
  sleep 0.2
done
echo "slurm-local: Slurm $(sinfo -V | cut -d' ' -f2) up on localhost:$port"

# An input of 40 samples for the 2-D golden model, and the reference on the whole of it.
model=$root/engine/fno/testdata/golden/fno2d/model.safetensors
/usr/bin/python3 -c "
import numpy as np
np.save('$work/x.npy', np.random.default_rng(5).standard_normal((40, 24, 24, 1)).astype(np.float32))"
"$fluxcore" fno --model "$model" --input "$work/x.npy" --output "$work/ref.npy" --batch-size 4 >/dev/null

# wait_jobs JOB...: until no listed job is queued or running.
wait_jobs() {
  local ids
  ids=$(IFS=,; echo "$*")
  for i in $(seq 900); do
    [ -z "$(squeue -h -j "$ids" 2>/dev/null)" ] && return 0
    sleep 0.2
  done
  echo "slurm-local: jobs $ids still queued after 180 s" >&2
  squeue >&2
  exit 1
}

# job_states JOB: the state of each of its tasks, one a line.
job_states() { scontrol show job "$1" | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p'; }

cd "$work/run"
start=$(date +%s%N)
read -r array merge < <(MODEL=$model INPUT=$work/x.npy OUT_DIR=$work/out OUTPUT=$work/y.npy SHARDS=$shards \
  FLUXCORE=$fluxcore FLUXCORE_ARGS="--chunk-size 3 --batch-size 4" "$root/deploy/slurm/submit.sh")
echo "slurm-local: array job $array ($shards tasks), merge job $merge"
wait_jobs "$array" "$merge"
for job in "$array" "$merge"; do
  states=$(job_states "$job")
  echo "slurm-local: job $job: $(echo "$states" | sort | uniq -c | xargs)"
  if echo "$states" | grep -qv '^COMPLETED$'; then
    echo "slurm-local: job $job did not complete" >&2
    cat "$work"/run/*.log >&2
    exit 1
  fi
done
cmp "$work/y.npy" "$work/ref.npy"
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
echo "slurm-local: the merge of $shards shards equals fluxcore fno byte for byte ($elapsed_ms ms from submission)"
"$fluxcore" batch status --out-dir "$work/out"

# A shard that fails: the merge is cancelled, not left pending for ever.
read -r array merge < <(MODEL=$work/missing.safetensors INPUT=$work/x.npy OUT_DIR=$work/out-failed OUTPUT=$work/failed.npy \
  SHARDS=2 FLUXCORE=$fluxcore "$root/deploy/slurm/submit.sh")
wait_jobs "$array" "$merge"
echo "slurm-local: failing shards: $(job_states "$array" | sort | uniq -c | xargs); their merge: $(job_states "$merge")"
if [ "$(job_states "$merge")" != CANCELLED ] || [ -e "$work/failed.npy" ]; then
  echo "slurm-local: the merge after failed shards is $(job_states "$merge"), want CANCELLED" >&2
  exit 1
fi

# A shard stopped mid-run (SIGTERM to the batch shell, as --signal and preemption send it)
# exits 143, requeues itself and resumes; the merge still equals fluxcore fno.
model1=$root/engine/fno/testdata/golden/fno1d/model.safetensors
/usr/bin/python3 -c "
import numpy as np
np.save('$work/x1.npy', np.random.default_rng(6).standard_normal((1500, 64, 1)).astype(np.float32))"
"$fluxcore" fno --model "$model1" --input "$work/x1.npy" --output "$work/ref1.npy" >/dev/null
read -r array merge < <(MODEL=$model1 INPUT=$work/x1.npy OUT_DIR=$work/out1 OUTPUT=$work/y1.npy SHARDS=1 \
  FLUXCORE=$fluxcore FLUXCORE_ARGS="--chunk-size 1" "$root/deploy/slurm/submit.sh")
for i in $(seq 600); do
  [ "$(find "$work/out1/chunks" -name 'chunk-*.npy' 2>/dev/null | wc -l)" -ge 20 ] && break
  [ "$i" = 600 ] && { echo "slurm-local: the shard to stop wrote no chunks in 120 s" >&2; exit 1; }
  sleep 0.2
done
scancel --signal=TERM --batch "${array}_0"
# Slurm holds a requeued job back for about two minutes (its begin time); let it go now.
for i in $(seq 300); do
  if [ "$(job_states "$array")" = PENDING ] && grep -q requeueing "$work/run/fluxcore-fno-${array}_0.log" 2>/dev/null; then
    scontrol update JobId="${array}_0" StartTime=now
    break
  fi
  sleep 0.2
done
wait_jobs "$array" "$merge"
log=$work/run/fluxcore-fno-${array}_0.log
if ! grep -q 'rerun to resume' "$log" || ! grep -q requeueing "$log" || [ "$(job_states "$merge")" != COMPLETED ]; then
  echo "slurm-local: the stopped shard did not resume (merge: $(job_states "$merge"))" >&2
  cat "$log" >&2
  exit 1
fi
cmp "$work/y1.npy" "$work/ref1.npy"
echo "slurm-local: a shard stopped by SIGTERM requeued itself and resumed: $(grep -c 'rerun to resume' "$log") stop(s); merge equals fluxcore fno byte for byte"
