import {
  integer,
  lastValue,
  type OptionSpec,
  passwordFrom,
  scanOptions,
  scanProblem,
} from './options.ts';
import type { IpmiInterface, ParseOutcome, PasswordSource } from './types.ts';

const SPECS: readonly OptionSpec[] = [
  { key: 'interface', names: ['-I'], arity: 'value' },
  // `-l <interface>` is a typo in LifeKeeper's own example header; ipmitool has no such option.
  { key: 'interfaceTypo', names: ['-l'], arity: 'value' },
  { key: 'host', names: ['-H'], arity: 'value' },
  { key: 'port', names: ['-p'], arity: 'value' },
  { key: 'user', names: ['-U'], arity: 'value' },
  { key: 'password', names: ['-P'], arity: 'value' },
  { key: 'passwordEnv', names: ['-E'], arity: 'flag' },
  { key: 'passwordFile', names: ['-f'], arity: 'value' },
  { key: 'cipherSuite', names: ['-C'], arity: 'value' },
  { key: 'privilege', names: ['-L'], arity: 'value' },
  { key: 'prompt', names: ['-a'], arity: 'flag' },
  // Output and retry tuning: the relay has its own timeouts, so these carry no meaning there.
  { key: 'ignored', names: ['-v', '-c'], arity: 'flag' },
  { key: 'ignoredValue', names: ['-N', '-R'], arity: 'value' },
];

const PRIVILEGES = ['CALLBACK', 'USER', 'OPERATOR', 'ADMINISTRATOR', 'OEM'];
const REBOOTS = new Set(['reset', 'cycle', 'soft']);

/** `ipmitool -I lanplus -H 192.168.0.1 -U root -P secret [chassis] power off`. */
export function parseIpmitool(
  args: readonly string[],
  env: ReadonlyMap<string, string>,
): ParseOutcome {
  const scanned = scanOptions(args, SPECS);
  const scanError = scanProblem('ipmitool', scanned);
  if (scanError) return { ok: false, reason: scanError };
  const notes: string[] = [];

  const words = [...scanned.positionals];
  if (words[0] === 'chassis') words.shift();
  const action = words.join(' ');
  if (words.length !== 2 || words[0] !== 'power') {
    return {
      ok: false,
      reason: `ipmitool: "${action}" is not a power-off (expected \`power off\`)`,
    };
  }
  if (words[1] !== 'off') {
    if (!REBOOTS.has(words[1] as string)) {
      return { ok: false, reason: `ipmitool: \`power ${words[1]}\` does not power the node off` };
    }
    notes.push(
      `ipmitool power ${words[1]} becomes a hard power off: Fencer leaves a fenced node off until it is unfenced`,
    );
  }

  const host = lastValue(scanned, 'host');
  if (host === undefined) {
    return { ok: false, reason: 'ipmitool: no -H: the command would power off the local machine' };
  }
  let interfaceName = lastValue(scanned, 'interface');
  const typo = lastValue(scanned, 'interfaceTypo');
  if (interfaceName === undefined && typo !== undefined) {
    interfaceName = typo;
    notes.push(`ipmitool -l ${typo} read as -I ${typo}`);
  }
  if (interfaceName === undefined) {
    interfaceName = 'lan';
    notes.push('ipmitool has no -I: with -H it uses lan (IPMI 1.5); consider lanplus');
  }
  if (interfaceName !== 'lan' && interfaceName !== 'lanplus') {
    return {
      ok: false,
      reason: `ipmitool: -I ${interfaceName} cannot reach a remote BMC (use lan or lanplus)`,
    };
  }

  const port = integer(lastValue(scanned, 'port') ?? '623', 1, 65_535);
  if (port === undefined) return { ok: false, reason: 'ipmitool: -p must be a port number' };
  const cipherText = lastValue(scanned, 'cipherSuite');
  const cipherSuite = cipherText === undefined ? undefined : integer(cipherText, 0, 17);
  if (cipherText !== undefined && cipherSuite === undefined) {
    return { ok: false, reason: 'ipmitool: -C must be a cipher suite number (0-17)' };
  }
  const privilege = (lastValue(scanned, 'privilege') ?? 'ADMINISTRATOR').toUpperCase();
  if (!PRIVILEGES.includes(privilege)) {
    return { ok: false, reason: `ipmitool: unknown privilege level -L ${privilege}` };
  }
  const user = lastValue(scanned, 'user');
  if (user === undefined || user === '') {
    return { ok: false, reason: 'ipmitool: no -U user (anonymous BMC login is not supported)' };
  }
  if (scanned.flags.has('prompt')) {
    return { ok: false, reason: 'ipmitool: -a prompts for the password; nobody answers a prompt' };
  }

  let password: PasswordSource = passwordFrom(lastValue(scanned, 'password')) ?? { from: 'none' };
  const passwordFile = lastValue(scanned, 'passwordFile');
  if (password.from === 'literal') {
    notes.push(
      'ipmitool -P put the BMC password in argv (visible in ps); the relay passes it as IPMI_PASSWORD (-E)',
    );
  } else if (scanned.flags.has('passwordEnv')) {
    const value = env.get('IPMI_PASSWORD');
    password =
      value === undefined
        ? { from: 'environment', variable: 'IPMI_PASSWORD' }
        : { from: 'literal', value };
  } else if (passwordFile !== undefined) {
    password = { from: 'file', path: passwordFile };
  }
  return {
    ok: true,
    command: {
      kind: 'ipmi',
      host,
      port,
      interface: interfaceName as IpmiInterface,
      // ipmitool's own default for lanplus; lan (IPMI 1.5) has no cipher suites.
      cipherSuite: cipherSuite ?? (interfaceName === 'lanplus' ? 3 : undefined),
      privilege,
      user,
      password,
    },
    notes,
  };
}
