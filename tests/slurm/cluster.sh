#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for the tests: `cluster.sh start` (idempotent: does nothing
# when it already answers) and `cluster.sh stop`. Needs root and Debian's slurm-wlm and munge packages
# (tests/install-system-packages.sh installs them). State lives under /tmp/sweep-slurm.
set -euo pipefail
state=/tmp/sweep-slurm
host=$(hostname -s)

node_up() {
    timeout 5 sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated|completing)'
}

start() {
    if node_up; then
        return 0
    fi
    mkdir -p "$state"/{spool,ctld,log} /etc/slurm /run/munge /var/log/munge /var/lib/munge
    # munge: a key, and the daemon run as the munge user.
    if [ ! -s /etc/munge/munge.key ]; then
        mungekey --create --keyfile=/etc/munge/munge.key 2>/dev/null || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    fi
    chown -R munge:munge /etc/munge /run/munge /var/log/munge /var/lib/munge
    chmod 0700 /etc/munge && chmod 0400 /etc/munge/munge.key && chmod 0755 /run/munge
    if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
        pkill -x munged 2>/dev/null || true
        rm -f /run/munge/munged.pid /run/munge/munge.socket.2 /run/munge/munge.socket.2.lock
        su -s /bin/sh munge -c /usr/sbin/munged
        for _ in $(seq 1 20); do
            munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break
            sleep 0.5
        done
    fi
    local mem cpus
    cpus=$(nproc)
    mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 512 ))
    cat > /etc/slurm/slurm.conf <<CONF
ClusterName=sweeptest
SlurmctldHost=$host
AuthType=auth/munge
CryptoType=crypto/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
InactiveLimit=0
KillWait=5
MinJobAge=300
SlurmctldTimeout=30
SlurmdTimeout=60
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
    rm -f /etc/slurm/cgroup.conf
    pkill -x slurmctld 2>/dev/null || true
    pkill -x slurmd 2>/dev/null || true
    while pgrep -x slurmd >/dev/null || pgrep -x slurmctld >/dev/null; do sleep 0.2; done
    /usr/sbin/slurmctld -c
    /usr/sbin/slurmd
    for _ in $(seq 1 60); do
        if node_up; then
            return 0
        fi
        sleep 1
    done
    echo "the Slurm node did not come up; logs in $state/log" >&2
    sinfo >&2 || true
    tail -n 20 "$state"/log/*.log >&2 || true
    return 1
}

stop() {
    pkill -x slurmd 2>/dev/null || true
    pkill -x slurmctld 2>/dev/null || true
    pkill -x munged 2>/dev/null || true
    for _ in $(seq 1 20); do
        pgrep -x slurmd >/dev/null || pgrep -x slurmctld >/dev/null || pgrep -x munged >/dev/null || return 0
        sleep 0.5
    done
    for daemon in slurmd slurmctld munged; do pkill -9 -x "$daemon" 2>/dev/null || true; done
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
