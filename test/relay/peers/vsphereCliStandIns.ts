import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Recording stand-ins for the vSphere CLI's `vmware-cmd` and `esxcli` (not packaged anywhere
 * reachable). Each call appends `{tool, argv, viPasswordSha256, envNames}` to a log and acts on
 * a small power state file, so the executors' argv, environment and parsing are checked for
 * real. The password itself is never written: only its hash.
 */
export interface CliStandIns {
  binDir: string;
  logFile: string;
  stateFile: string;
  calls(): CliCall[];
  state(): { power: 'on' | 'off'; worldId: number };
  setState(state: { power: 'on' | 'off'; worldId?: number }): void;
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
    with open(STATE, 'w') as f:
        json.dump(state, f)
`;

const vmwareCmd = `${common}
pw = record('vmware-cmd')
if not pw:
    sys.stderr.write('Cannot complete login due to an incorrect user name or password.\\n'); sys.exit(1)
args = sys.argv[1:]
vmx, words = args[4], args[5:]
state = load()
if words == ['stop', 'hard']:
    state['power'] = 'off'; save(state); print('stop(hard) = 1')
elif words == ['start']:
    state['power'] = 'on'; save(state); print('start() = 1')
elif words == ['getstate']:
    print('getstate() = ' + state['power'])
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
    wid = [a for a in sys.argv if a.startswith('--world-id=')][0].split('=')[1]
    if int(wid) != state['worldId'] or state['power'] != 'on':
        sys.stderr.write('Unable to find a running VM with world ID %s\\n' % wid); sys.exit(1)
    state['power'] = 'off'; save(state)
elif words == ['vm', 'process', 'list']:
    if state['power'] == 'on':
        print('legacy-vm\\n   World ID: %d\\n   Process ID: 0\\n   VMX Cartel ID: 7\\n'
              '   UUID: 42 1a\\n   Display Name: legacy-vm\\n'
              '   Config File: /vmfs/volumes/ds1/legacy/legacy.vmx\\n' % state['worldId'])
else:
    sys.stderr.write('unknown command %r\\n' % words); sys.exit(2)
`;

export function installCliStandIns(dir: string, worldId = 1234567): CliStandIns {
  const binDir = join(dir, 'standin-bin');
  mkdirSync(binDir, { recursive: true });
  const logFile = join(dir, 'standin-calls.jsonl');
  const stateFile = join(dir, 'standin-state.json');
  writeFileSync(stateFile, JSON.stringify({ power: 'on', worldId }));
  for (const [name, body] of [
    ['vmware-cmd', vmwareCmd],
    ['esxcli', esxcli],
  ] as const) {
    const file = join(binDir, name);
    writeFileSync(file, body.replaceAll('%LOG%', logFile).replaceAll('%STATE%', stateFile));
    chmodSync(file, 0o755);
  }
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
    state: () =>
      JSON.parse(readFileSync(stateFile, 'utf8')) as { power: 'on' | 'off'; worldId: number },
    setState: (state) => writeFileSync(stateFile, JSON.stringify({ worldId, ...state })),
  };
}
