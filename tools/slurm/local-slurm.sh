#!/usr/bin/env bash
# A real single-node Slurm on localhost, for the batch integration tests and for trying `npm run submit` by hand.
#
#   tools/slurm/local-slurm.sh start [dir]   starts munged, slurmctld and slurmd (as root) with every file under dir
#                                            (default: a new temporary folder); prints SLURM_CONF=<dir>/slurm.conf
#   tools/slurm/local-slurm.sh stop <dir>    stops the three daemons started in dir and removes dir
#
# The one node is this machine under its own host name, with the CPUs and memory `slurmd -C` finds. Nothing is
# written outside dir: its own munge key, socket and seed, slurm.conf on free ports, state, spool, logs and pid
# files. Point the Slurm commands at it with `export SLURM_CONF=<dir>/slurm.conf`. Needs the Debian packages
# slurmctld, slurmd, slurm-client and munge.
set -euo pipefail

STARTING=  # the folder a failing start cleans up: the daemons it started stop, the folder goes
die() {
  echo "local-slurm: $*" >&2
  if [ -n "$STARTING" ]; then
    for f in "$STARTING/slurmd.pid" "$STARTING/slurmctld.pid" "$STARTING/munge/munged.pid"; do stop_pid "$f" || true; done
    rm -rf "$STARTING"
  fi
  exit 1
}

free_port() { # the first port from $1 on which nothing listens on 127.0.0.1
  local p=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}

wait_for() { # wait_for <seconds> <what> <command...>: polls the command every 0.2 s
  local limit=$1 what=$2 i=0
  shift 2
  until "$@" >/dev/null 2>&1; do
    i=$((i + 1))
    [ "$i" -le $((limit * 5)) ] || return 1
    sleep 0.2
  done
}

stop_pid() { # stop_pid <pid file>: TERM, then KILL after 10 s; waits until the process is gone
  local f=$1 pid i=0
  [ -s "$f" ] || return 0
  pid=$(cat "$f")
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do
    i=$((i + 1))
    if [ "$i" -eq 50 ]; then kill -KILL "$pid" 2>/dev/null || true; fi
    [ "$i" -le 100 ] || die "process $pid (from $f) does not stop"
    sleep 0.2
  done
}

start() {
  local dir=${1:-}
  for c in munged mungekey slurmctld slurmd sinfo; do command -v "$c" >/dev/null || die "$c not found: install slurmctld slurmd slurm-client munge"; done
  [ "$(id -u)" -eq 0 ] || die "slurmd must run as root"
  if [ -z "$dir" ]; then dir=$(mktemp -d "${TMPDIR:-/tmp}/slurm-XXXXXX"); else mkdir -p "$dir"; fi
  dir=$(cd "$dir" && pwd)
  [ ! -e "$dir/slurm.conf" ] || die "$dir holds a slurm.conf already: stop that cluster first, or give another folder"
  STARTING=$dir
  mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/log"
  chmod 700 "$dir/munge"

  mungekey --create --keyfile="$dir/munge/munge.key" --bits=1024 || die "mungekey failed"
  chmod 400 "$dir/munge/munge.key"
  munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munged.seed" ||
    die "munged did not start: $(tail -3 "$dir/log/munged.log" 2>/dev/null)"
  wait_for 10 munged test -S "$dir/munge/munge.socket" || die "munged did not start: $(tail -3 "$dir/log/munged.log")"

  local host node ctld_port slurmd_port
  host=$(hostname -s)
  # "NodeName=vm CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=24105"
  node=$(slurmd -C | head -1 | sed -e "s/^NodeName=[^ ]*/NodeName=$host NodeAddr=127.0.0.1/")
  ctld_port=$(free_port 16817)
  slurmd_port=$(free_port $((ctld_port + 1)))
  cat >"$dir/slurm.conf" <<CONF
# A one-node Slurm on localhost (tools/slurm/local-slurm.sh); every path lies in $dir.
ClusterName=local
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/slurmd-%n
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
MailProg=/bin/true
PlugStackConfig=$dir/plugstack.conf
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
MinJobAge=3600
$node State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
  : >"$dir/plugstack.conf"
  export SLURM_CONF=$dir/slurm.conf
  slurmctld -i -f "$SLURM_CONF" || die "slurmctld did not start: $(tail -5 "$dir/log/slurmctld.log" 2>/dev/null)"
  slurmd -f "$SLURM_CONF" -N "$host" || die "slurmd did not start: $(tail -5 "$dir/log/slurmd.log" 2>/dev/null)"
  node_idle() { sinfo -h -n "$host" -o %T | grep -qx idle; }
  wait_for 30 'the node' node_idle || die "the node is not idle after 30 s: $(sinfo -h -N -o '%N %T %E' 2>&1); $(tail -5 "$dir/log/slurmctld.log")"
  STARTING=
  echo "SLURM_CONF=$SLURM_CONF"
}

stop() {
  local dir=${1:-}
  [ -n "$dir" ] || die "stop: give the folder that start printed (the folder of slurm.conf)"
  [ -f "$dir/slurm.conf" ] || die "stop: $dir holds no slurm.conf: not a folder of local-slurm.sh start"
  # Jobs first, so that no job step outlives the daemons: cancel every job of this cluster and wait (30 s).
  export SLURM_CONF=$dir/slurm.conf
  if [ -s "$dir/slurmctld.pid" ] && kill -0 "$(cat "$dir/slurmctld.pid")" 2>/dev/null; then
    local jobs
    jobs=$(squeue --noheader --format=%A 2>/dev/null || true)
    if [ -n "$jobs" ]; then
      # shellcheck disable=SC2086
      scancel $jobs 2>/dev/null || true
      no_jobs() { [ -z "$(squeue --noheader --format=%A 2>/dev/null)" ]; }
      wait_for 30 'the jobs' no_jobs || echo "local-slurm: jobs still listed after 30 s: $(squeue --noheader 2>&1 | head -5)" >&2
    fi
  fi
  stop_pid "$dir/slurmd.pid"
  stop_pid "$dir/slurmctld.pid"
  stop_pid "$dir/munge/munged.pid"
  rm -rf "$dir"
}

case "${1:-}" in
  start) start "${2:-}" ;;
  stop) stop "${2:-}" ;;
  *) echo "usage: $0 start [dir] | stop <dir>" >&2; exit 2 ;;
esac
