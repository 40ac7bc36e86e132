import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The lab's shell scripts. A node is a PID namespace: its init (node-init.sh) is the machine,
 * so SIGKILL to it is a power cut, and starting it again is a cold boot (fresh /run, /dev/shm;
 * corosync and Pacemaker start from scratch).
 */

/** PID 1 of a node: private mounts, then corosync and pacemakerd, directly (no systemd). */
const nodeInit = `#!/bin/sh
# PID 1 of a lab cluster node. $1: the node's env file (NODE NS DIR LAB).
set -eu
. "$1"
hostname "$NODE"
# libqb's IPC lives in /dev/shm and in abstract sockets (per network namespace): fresh tmpfs
# on /run and /dev/shm keep each node's daemons apart from the other's and from the host's.
mount -t tmpfs -o mode=0755,size=128m fpm-run /run
mount -t tmpfs -o mode=1777,size=64m fpm-shm /dev/shm
for path in etc/corosync var/lib/corosync var/lib/pacemaker var/log; do
  mount --bind "$DIR/$path" "/$path"
done
# fence_fencer where Pacemaker looks for fence agents (/usr/sbin/fence_*), for this node only.
mount -t overlay fpm-sbin -o "lowerdir=$LAB/sbin:/usr/sbin" /usr/sbin
# The node's Fencer key, at the same path on every node (the device's secret_file).
install -d -m 0700 /run/fencer
install -m 0600 "$DIR/node.key" /run/fencer/node.key
echo "$(date +%s%3N) boot" >> /var/log/boot.log
corosync -f >> /var/log/corosync/console.log 2>&1 &
i=0
until corosync-cfgtool -s > /dev/null 2>&1; do
  i=$((i + 1)); [ "$i" -gt 200 ] && break; sleep 0.05
done
PCMK_logfile=/var/log/pacemaker/pacemaker.log PCMK_logfacility=none \\
  pacemakerd >> /var/log/pacemaker/console.log 2>&1 &
wait
`;

/**
 * The power switch of one node, used by its BMC's chassis_control and by the harness. It must
 * answer within milliseconds: ipmitool resends a command after 1 s without an answer, and a
 * slow BMC then gets it twice. So the init's PID is kept in a file (checked against the node's
 * network namespace and PID namespace before use) instead of being searched for.
 */
const nodePower = `#!/bin/bash
# node-power.sh on|off|status ENVFILE; prints the power state before the command
set -u
op=$1
envfile=$2
. "$envfile"
netns=$(stat -L -c %i "/run/netns/$NS")
init_pid() {
  local pid
  pid=$(cat "$DIR/init.pid" 2> /dev/null) || return 1
  # Still the node's init: in the node's network namespace, and PID 1 of its own PID namespace.
  [ "$(stat -L -c %i "/proc/$pid/ns/net" 2> /dev/null)" = "$netns" ] || return 1
  awk '/^NSpid:/ { exit (NF > 2 && $NF == 1) ? 0 : 1 }' "/proc/$pid/status" 2> /dev/null || return 1
  echo "$pid"
}
case $op in
  status)
    if init_pid > /dev/null; then echo on; else echo off; fi
    ;;
  off)
    pid=$(init_pid) || { echo off; exit 0; }
    echo on
    # SIGKILL to a PID namespace's init kills every process in it: a power cut.
    kill -KILL "$pid"
    for _ in $(seq 100); do [ -d "/proc/$pid" ] || exit 0; sleep 0.01; done
    exit 0
    ;;
  on)
    init_pid > /dev/null && { echo on; exit 0; }
    echo off
    # The node must not inherit the BMC's sockets or the caller's environment.
    for fd in /proc/$$/fd/*; do
      fd=\${fd##*/}
      [ "$fd" -gt 2 ] && eval "exec $fd>&-"
    done 2> /dev/null
    # ip execs unshare, which forks the node's init: $! is unshare, the init its only child.
    setsid env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root \\
      ip netns exec "$NS" unshare --mount --uts --pid --fork --mount-proc --propagation private \\
      "$LAB/bin/node-init.sh" "$envfile" >> "$DIR/console.log" 2>&1 < /dev/null &
    parent=$!
    for _ in $(seq 300); do
      child=$(cat "/proc/$parent/task/$parent/children" 2> /dev/null)
      if [ -n "$child" ]; then
        echo "\${child%% *}" > "$DIR/init.pid"
        exit 0
      fi
      sleep 0.01
    done
    echo "node $NODE did not start" >&2
    exit 1
    ;;
  *)
    echo "usage: node-power.sh on|off|status ENVFILE" >&2
    exit 2
    ;;
esac
`;

/**
 * OpenIPMI's ipmi_sim delegates power to this script (lan.conf's chassis_control):
 * \`chassis-control.sh ENVFILE get power\` prints \`power:1|0\`; \`set power 0|1\` acts. Every
 * set is one JSON line in the node's BMC power log.
 */
const chassisControl = `#!/bin/sh
envfile=$1
op=$2
shift 2
. "$envfile"
log="$DIR/bmc-power.jsonl"
case $op in
  get)
    for parm in "$@"; do
      case $parm in
        power) [ "$("$LAB/bin/node-power.sh" status "$envfile")" = on ] && echo power:1 || echo power:0 ;;
        boot) echo boot:default ;;
        *) echo "Invalid parameter: $parm"; exit 1 ;;
      esac
    done
    ;;
  set)
    while [ $# -ge 2 ]; do
      parm=$1; val=$2; shift 2
      case $parm in
        power)
          [ "$val" = 0 ] && action=off || action=on
          was=$("$LAB/bin/node-power.sh" "$action" "$envfile"); rc=$?
          echo "{\\"ts\\":$(date +%s%3N),\\"set\\":\\"$action\\",\\"was\\":\\"$was\\",\\"rc\\":$rc}" >> "$log"
          [ "$rc" = 0 ] || exit 1
          ;;
        boot|identify) ;;
        *) echo "{\\"ts\\":$(date +%s%3N),\\"unsupported\\":\\"$parm\\"}" >> "$log"; echo "Invalid parameter: $parm"; exit 1 ;;
      esac
    done
    ;;
  check) exit 1 ;;
  *) echo "Unknown operation: $op"; exit 1 ;;
esac
`;

/**
 * /usr/sbin/fence_fencer inside the nodes: the worktree's agent, as Pacemaker's fencer runs it
 * (options on stdin). Every call is recorded in the node's /var/log/fence_fencer: its options
 * (file paths and names, never a secret), output, exit code and start/end in ms.
 */
const agentWrapper = (node: string, agent: string) => `#!/bin/sh
log=/var/log/fence_fencer
mkdir -p "$log"
call="$log/$(date +%s%N)-$$"
if [ $# -eq 0 ]; then cat > "$call.in"; else printf '%s\\n' "$@" > "$call.args"; : > "$call.in"; fi
start=$(date +%s%3N)
${node} ${agent} "$@" < "$call.in" > "$call.out" 2> "$call.err"
rc=$?
echo "$start $(date +%s%3N) $rc" > "$call.rc"
cat "$call.out"
cat "$call.err" >&2
exit $rc
`;

export interface LabScripts {
  nodePower: string;
  chassisControl: string;
}

export function writeLabScripts(dir: string, nodeBin: string, agentJs: string): LabScripts {
  const bin = join(dir, 'bin');
  const sbin = join(dir, 'sbin');
  mkdirSync(bin, { recursive: true });
  mkdirSync(sbin, { recursive: true });
  const write = (path: string, text: string) => {
    writeFileSync(path, text);
    chmodSync(path, 0o755);
  };
  write(join(bin, 'node-init.sh'), nodeInit);
  write(join(bin, 'node-power.sh'), nodePower);
  write(join(bin, 'chassis-control.sh'), chassisControl);
  write(join(sbin, 'fence_fencer'), agentWrapper(nodeBin, agentJs));
  return {
    nodePower: join(bin, 'node-power.sh'),
    chassisControl: join(bin, 'chassis-control.sh'),
  };
}
