#!/usr/bin/env bash
# End-to-end test of profiles/slurm on a real, private, single-node SLURM
# cluster (`make test-slurm`). Needs root (it installs packages and starts
# daemons) and Debian/Ubuntu apt. What it does:
#   1. installs slurmctld, slurmd, slurm-client and munge if missing;
#   2. starts munged, slurmctld and slurmd by hand, all in a private temporary
#      directory (own munge key and socket, own slurm.conf, free TCP ports), so
#      it neither needs nor touches a system SLURM or munge;
#   3. runs tests/data/tiny-sweep.yaml (one seed per job) through `--workflow-profile profiles/slurm`
#      (with test-only overrides: partition, no account, squeue polling), then
#      the same config locally (`--cores 2`, profiles/default);
#   4. checks that every non-local job went through sbatch and ran inside a
#      SLURM job, and that slurmctld's start and end times show at least two
#      jobs running at once (tests/slurm/check_submissions.py), and that every
#      file of results/tables/ is byte-identical between the two runs; the
#      measured submit-to-start latency goes to results/bench/slurm-latency.json;
#   5. stops the daemons it started (by PID, in an EXIT trap) and prints their
#      logs if anything failed.
# It takes ~5 minutes on 2 cores. A second run starts fresh daemons in a fresh
# directory; daemons left by a run that was SIGKILLed are reported, not
# touched (their socket, ports and files are their own, so they do not clash).
# Knobs (environment): SLURM_RUN_TIMEOUT, LOCAL_RUN_TIMEOUT (seconds, each
# run is SIGKILLed after it), SLURM_TEST_PARALLEL=1 (both runs at once),
# SLURM_TEST_KEEP=1 (keep the temporary directory, which is kept anyway on
# failure), SLURM_TEST_TMP (parent of the temporary directory, default /tmp).
set -Eeuo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd -- "$HERE/../.." && pwd)
BIN=$REPO/.venv/bin
SNAKEMAKE=$BIN/snakemake
PYTHON=$BIN/python
CONFIG=$REPO/tests/data/tiny-sweep.yaml
# SIGKILL bounds of the two runs (normally ~185 s and ~110 s on 2 cores), so
# that even a hanging run fails the whole test within ~10 minutes.
SLURM_RUN_TIMEOUT=${SLURM_RUN_TIMEOUT:-330}
LOCAL_RUN_TIMEOUT=${LOCAL_RUN_TIMEOUT:-210}
PARTITION=debug
# Rules whose every job must go through sbatch (all the others are localrules).
REMOTE_RULES=train,evaluate,aggregate,decision_grid
# Every daemon of this test is started with the temporary directory in its
# command line; the prefix lets a later run recognise leftovers of a killed one.
TMP_PREFIX=snapens-slurm-test

log() { printf '[test-slurm] %s\n' "$*" >&2; }
die() {
    log "FAIL: $*"
    exit 1
}

[[ -x $SNAKEMAKE && -x $PYTHON ]] || die "no $SNAKEMAKE; create the venv first (make venv)"
[[ $(id -u) == 0 ]] || die "must run as root: it installs SLURM and starts slurmd/slurmctld/munged"

# --- 1. SLURM and munge ------------------------------------------------------
PACKAGES=(slurmctld slurmd slurm-client munge)
missing=0
for cmd in slurmctld slurmd sbatch squeue sinfo scontrol scancel srun munged munge unmunge; do
    command -v "$cmd" >/dev/null || missing=1
done
if ((missing)); then
    command -v apt-get >/dev/null || die "SLURM is not installed and there is no apt-get to install it"
    log "installing ${PACKAGES[*]} (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt_log=$(mktemp)
    if ! apt-get install -y -q "${PACKAGES[@]}" >"$apt_log" 2>&1; then
        log "apt-get install failed; running apt-get update and retrying"
        apt-get update -q >>"$apt_log" 2>&1 || true
        apt-get install -y -q "${PACKAGES[@]}" >>"$apt_log" 2>&1 || {
            tail -n 30 "$apt_log" >&2
            die "could not install ${PACKAGES[*]}"
        }
    fi
    rm -f "$apt_log"
fi
log "$(slurmctld -V), $(munged -V 2>&1 | head -n 1)"

# Leftovers of an earlier run that was SIGKILLed (its EXIT trap never ran):
# they use their own ports, socket and directories, so they do not disturb
# this run, but say so (this test only ever stops daemons it started itself).
leftovers=$(pgrep -a -f "/$TMP_PREFIX\.[^/ ]*/state/" || true)
if [[ -n $leftovers ]]; then
    log "warning: daemons left over from an earlier, killed run of this test (not stopped by this run):"
    sed 's/^/    /' <<<"$leftovers" >&2
    log "stop them with: kill <pid> (after checking the list above)"
fi

# --- 2. a private cluster: munged, slurmctld, slurmd -------------------------
WORK=$(mktemp -d "${SLURM_TEST_TMP:-/tmp}/$TMP_PREFIX.XXXXXX")
chmod 755 "$WORK" # munged (user munge) must reach its directory below
STATE=$WORK/state
mkdir -p "$STATE"/{ctld,spool,log,run,bin}
MUNGE_DIR=$STATE/munge
install -d -o munge -g munge -m 755 "$MUNGE_DIR"
MUNGE_SOCKET=$MUNGE_DIR/munge.socket
export SLURM_CONF=$STATE/slurm.conf

declare -A DAEMON_PID=()  # name -> pid of every daemon this script started
declare -A RUN_PID=()     # name -> pid of a Snakemake run (its timeout) still going
DAEMON_ORDER=()           # start order; stopped in reverse
FAILED=1                  # cleared once every check has passed

print_daemon_logs() {
    local f
    for f in "$STATE"/log/* "$MUNGE_DIR"/munged.log; do
        [[ -s $f ]] || continue
        printf '\n----- %s (last 40 lines) -----\n' "$f" >&2
        tail -n 40 "$f" >&2
    done
}

stop_daemon() { # name: TERM, wait up to 10 s, then KILL; only our own PID
    local name=$1 pid=${DAEMON_PID[$1]} i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "$name (pid $pid) ignored SIGTERM; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$? i name
    trap - EXIT INT TERM
    set +e
    ((rc == 0 && FAILED)) && rc=1
    for name in "${!RUN_PID[@]}"; do # a run still going: kill it and its jobs
        log "killing the $name run (pid ${RUN_PID[$name]})"
        # timeout(1) leads its own process group: the run and its local jobs
        kill -KILL -- "-${RUN_PID[$name]}" 2>/dev/null || kill -KILL "${RUN_PID[$name]}" 2>/dev/null
        wait "${RUN_PID[$name]}" 2>/dev/null
    done
    if [[ -n ${DAEMON_PID[slurmctld]:-} ]] && kill -0 "${DAEMON_PID[slurmctld]}" 2>/dev/null; then
        # jobs still queued or running on *this* cluster (SLURM_CONF points at
        # it): cancel them, so that no job step outlives its slurmd
        if [[ -n $(squeue -h -t PENDING,RUNNING,CONFIGURING,COMPLETING -o %i 2>/dev/null) ]]; then
            log "cancelling the jobs still on the test cluster"
            scancel --full --user="$(id -un)" 2>/dev/null
            for ((i = 0; i < 30; i++)); do
                [[ -z $(squeue -h -t PENDING,RUNNING,CONFIGURING,COMPLETING -o %i 2>/dev/null) ]] && break
                sleep 0.5
            done
        fi
    fi
    ((rc != 0)) && [[ -d $STATE ]] && print_daemon_logs
    for ((i = ${#DAEMON_ORDER[@]} - 1; i >= 0; i--)); do
        stop_daemon "${DAEMON_ORDER[i]}"
    done
    if ((rc != 0)) || [[ ${SLURM_TEST_KEEP:-0} == 1 ]]; then
        log "kept $WORK (logs: SLURM.log, local.log, state/log/, slurm/.snakemake/slurm_logs/)"
    else
        rm -rf "$WORK"
    fi
    ((rc != 0)) && log "FAILED (exit $rc)"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start_daemon() { # name logfile command...: start in the foreground mode, in the background
    local name=$1 out=$2
    shift 2
    "$@" >"$out" 2>&1 &
    DAEMON_PID[$name]=$!
    DAEMON_ORDER+=("$name")
    log "started $name (pid ${DAEMON_PID[$name]})"
}

wait_for() { # seconds description command...: poll every 0.5 s
    local secs=$1 what=$2 i
    shift 2
    local name
    for ((i = 0; i < secs * 2; i++)); do
        "$@" >/dev/null 2>&1 && return 0
        for name in "${DAEMON_ORDER[@]}"; do
            kill -0 "${DAEMON_PID[$name]}" 2>/dev/null || die "$name (pid ${DAEMON_PID[$name]}) exited while waiting for $what"
        done
        sleep 0.5
    done
    die "timed out after ${secs}s waiting for $what"
}

# munge: a private key and socket, daemon run as the munge user; setpriv execs,
# so $! is munged itself
head -c 1024 /dev/urandom >"$MUNGE_DIR/munge.key"
chown munge:munge "$MUNGE_DIR/munge.key"
chmod 400 "$MUNGE_DIR/munge.key"
start_daemon munged "$STATE/log/munged.out" \
    setpriv --reuid=munge --regid=munge --init-groups \
    munged --foreground --force --socket="$MUNGE_SOCKET" --key-file="$MUNGE_DIR/munge.key" \
    --pid-file="$MUNGE_DIR/munged.pid" --log-file="$MUNGE_DIR/munged.log" --seed-file="$MUNGE_DIR/munged.seed"
munge_ok() { munge -n -S "$MUNGE_SOCKET" | unmunge -S "$MUNGE_SOCKET"; }
wait_for 15 "munged to answer on $MUNGE_SOCKET" munge_ok

# slurm.conf: this host as the only node (its line from `slurmd -C`), two free
# TCP ports, everything else under $STATE
HOST=$(hostname -s)
NODE_LINE=$(slurmd -C | head -n 1)
[[ $NODE_LINE == NodeName=* ]] || die "unexpected output of slurmd -C: $NODE_LINE"
NODE=${NODE_LINE#NodeName=}
NODE=${NODE%% *}
read -r CTLD_PORT SLURMD_PORT < <("$PYTHON" -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("", 0))
print(*(s.getsockname()[1] for s in socks))')
cat >"$SLURM_CONF" <<EOF
# Generated by tests/slurm/run.sh for a throw-away single-node test cluster.
ClusterName=snapenstest
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/run/slurmctld.pid
SlurmdPidFile=$STATE/run/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# no cgroups on this kind of machine
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
SchedulerType=sched/backfill
# cores and memory are consumable: jobs share the node
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
# finished jobs stay visible to squeue (the status command) for 10 minutes
MinJobAge=600
$NODE_LINE NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=$PARTITION Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF

start_daemon slurmctld "$STATE/log/slurmctld.out" slurmctld -D -f "$SLURM_CONF"
wait_for 30 "slurmctld to answer (scontrol ping)" bash -c 'scontrol ping | grep -q UP'
start_daemon slurmd "$STATE/log/slurmd.out" slurmd -D -f "$SLURM_CONF"
node_idle() { [[ $(sinfo -h -n "$NODE" -o %T) == idle ]]; }
wait_for 60 "node $NODE to be idle in sinfo" node_idle
log "cluster up: $(sinfo -h -o '%P %D %T %c CPUs %m MB' | tr -s ' ')"

# The SLURM jobstep plugin strips SLURM_* variables (SLURM_CONF among them)
# before its srun inside the job; on a real cluster srun then finds
# /etc/slurm/slurm.conf. This private cluster's config is elsewhere, so jobs
# get an srun (first on PATH, which sbatch --export=ALL passes on) that points
# at it.
cat >"$STATE/bin/srun" <<EOF
#!/bin/sh
SLURM_CONF='$SLURM_CONF' exec $(command -v srun) "\$@"
EOF
chmod 755 "$STATE/bin/srun"
export PATH=$STATE/bin:$PATH

# --- 3. the tiny study through the SLURM profile, then locally -----------------
# One after the other, so that the wall times compare (measured on 2 cores:
# ~185 s and ~110 s). SLURM_TEST_PARALLEL=1 runs them side by side instead,
# which saves little on a 2-core machine (the runs are CPU-bound).
cd "$WORK"
slurm_cmd=(
    timeout -s KILL "$SLURM_RUN_TIMEOUT" "$SNAKEMAKE"
    -s "$REPO/Snakefile" --directory "$WORK/slurm" --configfile "$CONFIG"
    --workflow-profile "$REPO/profiles/slurm"
    # test-only overrides: this cluster's partition and no account (there is no
    # accounting; an empty account makes the plugin submit without -A)
    --default-resources "slurm_partition=$PARTITION" "slurm_account=''"
    # no slurmdbd, so sacct cannot answer: poll squeue (MinJobAge=600 above)
    --slurm-status-command squeue
    --slurm-init-seconds-before-status-checks 2 --seconds-between-status-checks 2
    # keep every job's SLURM log: the submission check reads them
    --slurm-keep-successful-logs
)
local_cmd=(
    timeout -s KILL "$LOCAL_RUN_TIMEOUT" "$SNAKEMAKE"
    -s "$REPO/Snakefile" --cores 2 --directory "$WORK/local" --configfile "$CONFIG"
)
declare -A RUN_START=() RUN_WALL=()
start_run() { # name command...: in the background, output to $WORK/<name>.log
    local name=$1
    shift
    log "$name run: $*"
    "$@" >"$WORK/$name.log" 2>&1 &
    RUN_PID[$name]=$!
    RUN_START[$name]=$(date +%s)
}
finish_run() { # name timeout: wait for it; its wall time is its log's last write
    local name=$1 limit=$2 rc=0
    wait "${RUN_PID[$name]}" || rc=$?
    unset "RUN_PID[$name]"
    RUN_WALL[$name]=$(($(stat -c %Y "$WORK/$name.log") - RUN_START[$name]))
    if ((rc != 0)); then
        tail -n 60 "$WORK/$name.log" >&2
        ((rc == 137)) && die "the $name run was killed after ${limit}s (log: $WORK/$name.log)"
        die "the $name run failed with exit code $rc (log: $WORK/$name.log)"
    fi
    log "$name run finished in ${RUN_WALL[$name]}s"
}
start_run SLURM "${slurm_cmd[@]}"
[[ ${SLURM_TEST_PARALLEL:-0} == 1 ]] || finish_run SLURM "$SLURM_RUN_TIMEOUT"
start_run local "${local_cmd[@]}"
[[ -n ${RUN_PID[SLURM]:-} ]] && finish_run SLURM "$SLURM_RUN_TIMEOUT"
finish_run local "$LOCAL_RUN_TIMEOUT"

# --- 4. checks -------------------------------------------------------------------
log "checking that every non-local job went through sbatch"
"$PYTHON" "$HERE/check_submissions.py" --log "$WORK/SLURM.log" --workdir "$WORK/slurm" \
    --remote-rules "$REMOTE_RULES" --summary "$WORK/submissions.txt" --min-at-once 2 \
    --latency "$WORK/latency.json" || die "submission check failed (log: $WORK/SLURM.log)"
# the measured latency, for the cluster prediction of `make bench-study`
mkdir -p "$REPO/results/bench"
cp "$WORK/latency.json" "$REPO/results/bench/slurm-latency.json"

log "comparing results/tables/ of the two runs"
tables=$(cd "$WORK/local/results/tables" && find . -type f | sort)
[[ -n $tables ]] || die "the local run wrote no results/tables/"
differ=()
for f in $tables; do
    cmp -s "$WORK/local/results/tables/$f" "$WORK/slurm/results/tables/$f" || differ+=("${f#./}")
done
for f in $(cd "$WORK/slurm/results/tables" && find . -type f | sort); do
    [[ -e $WORK/local/results/tables/$f ]] || differ+=("${f#./} (only in the SLURM run)")
done
((${#differ[@]} == 0)) || die "results/tables/ differ between the SLURM and the local run: ${differ[*]}"

FAILED=0
n_tables=$(wc -w <<<"$tables")
printf '\n== test-slurm summary ==\n'
mode=$([[ ${SLURM_TEST_PARALLEL:-0} == 1 ]] && echo "side by side" || echo "one after the other")
printf 'SLURM run (profiles/slurm): %4ss wall\n' "${RUN_WALL[SLURM]}"
printf 'local run (--cores 2):      %4ss wall (%s)\n' "${RUN_WALL[local]}" "$mode"
cat "$WORK/submissions.txt"
printf 'results/tables/: %s files, byte-identical\n' "$n_tables"
printf 'PASSED\n'
