import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { childEnvOf } from '../../../relay-agent/runner.ts';

/**
 * Recording stand-ins for the vSphere CLI's `vmware-cmd` and `esxcli` (not packaged anywhere
 * reachable). Each call appends `{tool, argv, viPasswordSha256, envNames}` to a log and acts on
 * one ESXi host's VMs, kept in a state file, so the executors' argv, environment and parsing
 * are checked for real. The password itself is never written: only its hash.
 *
 * Like the real host: `esxcli vm process list` lists RUNNING VMs only (display name, world id,
 * config file), and a VM gets a new world id every time it powers on. `listOutput` replaces
 * the list's output verbatim, for answers the executor must not trust (empty, garbled).
 */
export interface CliStandIns {
  binDir: string;
  logFile: string;
  stateFile: string;
  calls(): CliCall[];
  vm(name: string): StandInVm;
  /** Powers a VM on outside Fencer (an operator, HA): it gets a new world id. */
  powerOn(name: string): number;
  powerOff(name: string): void;
  /** Replaces what `esxcli vm process list` prints (undefined: the real list again). */
  setListOutput(text: string | undefined): void;
  /** The relay's child environment with these tools first on PATH. */
  childEnv(): Record<string, string>;
}

export interface StandInVm {
  name: string;
  vmx: string;
  power: 'on' | 'off';
  /** The world id of the running VM; none while it is off. */
  worldId: number | null;
}

interface HostState {
  vms: StandInVm[];
  nextWorldId: number;
  listOutput?: string;
}

export interface CliCall {
  tool: 'vmware-cmd' | 'esxcli';
  argv: string[];
  viPasswordSha256: string | null;
  envNames: string[];
}

const common = `#!/usr/bin/python3
import hashlib, json, os, sys
LOG, STATE = '%LOG%', '%STATE%'
def record(tool):
    pw = os.environ.get('VI_PASSWORD')
    entry = {'tool': tool, 'argv': sys.argv[1:], 'envNames': sorted(os.environ.keys()),
             'viPasswordSha256': hashlib.sha256(pw.encode()).hexdigest() if pw else None}
    with open(LOG, 'a') as f:
        f.write(json.dumps(entry) + '\\n')
    return pw
def load():
    with open(STATE) as f:
        return json.load(f)
def save(state):
    with open(STATE + '.tmp', 'w') as f:
        json.dump(state, f)
    os.replace(STATE + '.tmp', STATE)
def power_on(state, vm):
    vm['power'] = 'on'; vm['worldId'] = state['nextWorldId']; state['nextWorldId'] += 1
`;

const vmwareCmd = `${common}
pw = record('vmware-cmd')
if not pw:
    sys.stderr.write('Cannot complete login due to an incorrect user name or password.\\n'); sys.exit(1)
args = sys.argv[1:]
vmx, words = args[4], args[5:]
state = load()
vm = next((v for v in state['vms'] if v['vmx'] == vmx), None)
if vm is None:
    sys.stderr.write('No virtual machine found with config file %s\\n' % vmx); sys.exit(1)
if words == ['stop', 'hard']:
    vm['power'] = 'off'; vm['worldId'] = None; save(state); print('stop(hard) = 1')
elif words == ['start']:
    if vm['power'] != 'on':
        power_on(state, vm)
    save(state); print('start() = 1')
elif words == ['getstate']:
    print('getstate() = ' + vm['power'])
else:
    sys.stderr.write('unknown command %r\\n' % words); sys.exit(2)
`;

const esxcli = `${common}
pw = record('esxcli')
if not pw:
    sys.stderr.write('Cannot complete login due to an incorrect user name or password.\\n'); sys.exit(1)
words = [a for a in sys.argv[1:] if not a.startswith('--')][-3:]
state = load()
if words == ['vm', 'process', 'kill']:
    wid = int([a for a in sys.argv if a.startswith('--world-id=')][0].split('=')[1])
    vm = next((v for v in state['vms'] if v['power'] == 'on' and v['worldId'] == wid), None)
    if vm is None:
        sys.stderr.write('Unable to find a running VM with world ID %d\\n' % wid); sys.exit(1)
    vm['power'] = 'off'; vm['worldId'] = None; save(state)
elif words == ['vm', 'process', 'list']:
    if state.get('listOutput') is not None:
        sys.stdout.write(state['listOutput']); sys.exit(0)
    for vm in state['vms']:
        if vm['power'] != 'on':
            continue
        print('%s\\n   World ID: %d\\n   Process ID: 0\\n   VMX Cartel ID: %d\\n'
              '   UUID: 42 1a 7c 9e 3b 44 6d 1f-8a 2b 5c 6d 7e 8f 90 a1\\n'
              '   Display Name: %s\\n   Config File: %s\\n'
              % (vm['name'], vm['worldId'], vm['worldId'] - 1, vm['name'], vm['vmx']))
else:
    sys.stderr.write('unknown command %r\\n' % words); sys.exit(2)
`;

/**
 * Installs both tools in `dir/standin-bin` for one host whose VMs are all running; the first
 * gets world id `firstWorldId`, the next ones the following ids.
 */
export function installCliStandIns(
  dir: string,
  vms: { name: string; vmx: string }[],
  firstWorldId = 1234567,
): CliStandIns {
  const binDir = join(dir, 'standin-bin');
  mkdirSync(binDir, { recursive: true });
  const logFile = join(dir, 'standin-calls.jsonl');
  const stateFile = join(dir, 'standin-state.json');
  const initial: HostState = {
    vms: vms.map((vm, i) => ({ ...vm, power: 'on', worldId: firstWorldId + i })),
    nextWorldId: firstWorldId + vms.length,
  };
  writeFileSync(stateFile, JSON.stringify(initial));
  for (const [name, body] of [
    ['vmware-cmd', vmwareCmd],
    ['esxcli', esxcli],
  ] as const) {
    const file = join(binDir, name);
    writeFileSync(file, body.replaceAll('%LOG%', logFile).replaceAll('%STATE%', stateFile));
    chmodSync(file, 0o755);
  }
  const load = () => JSON.parse(readFileSync(stateFile, 'utf8')) as HostState;
  const save = (state: HostState) => writeFileSync(stateFile, JSON.stringify(state));
  const find = (state: HostState, name: string) => {
    const vm = state.vms.find((v) => v.name === name);
    if (!vm) throw new Error(`stand-in host has no VM ${name}`);
    return vm;
  };
  return {
    binDir,
    logFile,
    stateFile,
    calls: () =>
      existsSync(logFile)
        ? readFileSync(logFile, 'utf8')
            .split('\n')
            .filter((l) => l !== '')
            .map((l) => JSON.parse(l) as CliCall)
        : [],
    vm: (name) => find(load(), name),
    powerOn(name) {
      const state = load();
      const vm = find(state, name);
      if (vm.power !== 'on') {
        vm.power = 'on';
        vm.worldId = state.nextWorldId++;
      }
      save(state);
      return vm.worldId ?? 0;
    },
    powerOff(name) {
      const state = load();
      Object.assign(find(state, name), { power: 'off', worldId: null });
      save(state);
    },
    childEnv() {
      const env = childEnvOf(process.env);
      return { ...env, PATH: `${binDir}:${env['PATH']}` };
    },
    setListOutput(text) {
      const { listOutput: _old, ...state } = load();
      save(text === undefined ? state : { ...state, listOutput: text });
    },
  };
}
