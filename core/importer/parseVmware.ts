import {
  integer,
  lastValue,
  type OptionSpec,
  passwordFrom,
  scanOptions,
  scanProblem,
} from './options.ts';
import type { ParseOutcome } from './types.ts';

const VMWARE_CMD_SPECS: readonly OptionSpec[] = [
  { key: 'host', names: ['-H', '--server'], arity: 'value' },
  { key: 'user', names: ['-U', '--username'], arity: 'value' },
  { key: 'password', names: ['-P', '--password'], arity: 'value' },
  { key: 'ignored', names: ['-Q', '-v', '--verbose'], arity: 'flag' },
];

const ARGV_PASSWORD =
  'the password was on the command line (visible in ps); it moves to a 0600 file on the relay host';
const POWER_MODES = new Set(['hard', 'soft', 'trysoft']);

/** `vmware-cmd -H 10.0.0.1 -U root -P secret /vmfs/volumes/.../lampserver.vmx stop hard`. */
export function parseVmwareCmd(args: readonly string[]): ParseOutcome {
  const scanned = scanOptions(args, VMWARE_CMD_SPECS);
  const scanError = scanProblem('vmware-cmd', scanned);
  if (scanError) return { ok: false, reason: scanError };
  const notes: string[] = [];
  const words = [...scanned.positionals];
  let mode = words.at(-1) ?? '';
  if (POWER_MODES.has(mode)) words.pop();
  else mode = 'soft'; // vmware-cmd's default powerop_mode
  const operation = words.pop();
  if (operation !== 'stop' && operation !== 'reset') {
    return {
      ok: false,
      reason: `vmware-cmd: expected \`<vmx> stop hard\`, got "${[operation, mode].join(' ').trim()}"`,
    };
  }
  if (operation === 'reset' || mode !== 'hard') {
    notes.push(
      `vmware-cmd ${operation} ${mode} becomes a hard power off: Fencer does not wait for the guest`,
    );
  }
  if (words.length === 0) return { ok: false, reason: 'vmware-cmd: no .vmx path before `stop`' };
  // Pages break long paths (`/ vmfs/volumes/...`, or mid-word across lines). A datastore path
  // `[datastore1] vm/vm.vmx` is the one form whose space is real.
  const datastore =
    words.length > 1 && /^\[[^\]]+\]$/.test(words[0] as string) ? `${words.shift()} ` : '';
  const vmx = datastore + words.join('');
  if (words.length > 1)
    notes.push(`vmware-cmd: the .vmx path was split by spaces; joined as ${vmx}`);
  // The relay's schema wants `.vmx` exactly (ESXi paths are case-sensitive).
  if (!/\.vmx$/.test(vmx) || !/^(\/|\[[^\]]+\] ?\S)/.test(vmx)) {
    return { ok: false, reason: `vmware-cmd: "${vmx}" is not a .vmx path` };
  }
  const host = lastValue(scanned, 'host');
  if (host === undefined) return { ok: false, reason: 'vmware-cmd: no -H host' };
  const user = lastValue(scanned, 'user');
  if (user === undefined) return { ok: false, reason: 'vmware-cmd: no -U user' };
  const password = passwordFrom(lastValue(scanned, 'password')) ?? { from: 'none' };
  if (password.from === 'literal') notes.push(ARGV_PASSWORD);
  return { ok: true, command: { kind: 'vmware-cmd', host, user, password, vmx }, notes };
}

const ESXCLI_SPECS: readonly OptionSpec[] = [
  { key: 'server', names: ['--server', '-s'], arity: 'value' },
  { key: 'user', names: ['--username', '-u'], arity: 'value' },
  { key: 'password', names: ['--password', '-p'], arity: 'value' },
  { key: 'type', names: ['--type', '-t'], arity: 'value' },
  { key: 'worldId', names: ['--world-id', '-w'], arity: 'value' },
  { key: 'thumbprint', names: ['--thumbprint', '-d'], arity: 'value' },
  { key: 'ignoredValue', names: ['--formatter', '--format-param'], arity: 'value' },
  { key: 'ignored', names: ['--debug'], arity: 'flag' },
];

const KILL_FORMS = ['vm process kill', 'vms vm kill'];

/** `esxcli --server=10.0.0.1 --username=root --password=secret vm process kill --type=hard --world-id=N`. */
export function parseEsxcli(args: readonly string[]): ParseOutcome {
  const scanned = scanOptions(args, ESXCLI_SPECS);
  const scanError = scanProblem('esxcli', scanned);
  if (scanError) return { ok: false, reason: scanError };
  const notes: string[] = [];
  const namespace = scanned.positionals.join(' ');
  if (!KILL_FORMS.includes(namespace)) {
    return { ok: false, reason: `esxcli: "${namespace}" is not \`vm process kill\`` };
  }
  if (namespace === 'vms vm kill') {
    notes.push('esxcli vms vm kill (ESX 4) is run as `vm process kill` by the relay');
  }
  const type = lastValue(scanned, 'type') ?? '(none)';
  if (type !== 'hard') {
    notes.push(`esxcli --type=${type} becomes --type=hard: Fencer does not wait for the guest`);
  }
  const worldText = lastValue(scanned, 'worldId');
  const worldId =
    worldText === undefined ? undefined : integer(worldText, 1, Number.MAX_SAFE_INTEGER);
  if (worldId === undefined) return { ok: false, reason: 'esxcli: --world-id must be a number' };
  notes.push(
    `esxcli --world-id=${worldId} is kept, but a world id alone cannot be verified (it changes at every power-on; its absence reads unknown, so the target cannot fence): add the VM's display name as vm: { name } to its relay target`,
  );
  const thumbprint = lastValue(scanned, 'thumbprint');
  if (thumbprint !== undefined && !/^[0-9A-Fa-f:]+$/.test(thumbprint)) {
    return { ok: false, reason: 'esxcli: --thumbprint must be hex digits and colons' };
  }
  const server = lastValue(scanned, 'server');
  if (server === undefined) return { ok: false, reason: 'esxcli: no --server' };
  const user = lastValue(scanned, 'user');
  if (user === undefined) return { ok: false, reason: 'esxcli: no --username' };
  const password = passwordFrom(lastValue(scanned, 'password')) ?? { from: 'none' };
  if (password.from === 'literal') notes.push(ARGV_PASSWORD);
  return {
    ok: true,
    command: { kind: 'esxcli', server, user, password, worldId, thumbprint },
    notes,
  };
}
