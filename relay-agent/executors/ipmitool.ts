import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IpmiOptions } from '../config.ts';
import { ExecError } from '../errors.ts';
import type { RunResult } from '../runner.ts';
import { ipmitoolHome } from './ipmitoolHome.ts';
import { runProcessStep } from './processStep.ts';
import type { CallContext, ExecutorDeps, PowerExecutor, PowerReading } from './types.ts';

export interface IpmiTarget {
  options: IpmiOptions;
  password: string;
  kg?: string;
}

/**
 * IPMI through ipmitool. The password reaches ipmitool only through IPMI_PASSWORD with `-E`
 * (or a 0600 file with `-f`), the Kg key only through IPMI_KGKEY with `-K`: argv is readable
 * by every user of the host (/proc/PID/cmdline), the environment is not.
 */
export function createIpmitoolExecutor(target: IpmiTarget, deps: ExecutorDeps): PowerExecutor {
  const o = target.options;
  const secrets = target.kg ? [target.password, target.kg] : [target.password];

  const run = async (call: CallContext, words: string[]): Promise<RunResult> => {
    const env: Record<string, string> = {};
    // A HOME with a one-entry vendor registry: ipmitool starts in a quarter of the time.
    const home = ipmitoolHome();
    if (home) env['HOME'] = home;
    const args = baseArgs(o);
    let dir: string | undefined;
    if (o.passwordVia === 'file') {
      dir = await mkdtemp(join(tmpdir(), 'fencer-relay-'));
      const file = join(dir, `pw-${randomBytes(6).toString('hex')}`);
      await writeFile(file, target.password, { mode: 0o600 });
      args.push('-f', file);
    } else {
      env['IPMI_PASSWORD'] = target.password;
      args.push('-E');
    }
    if (target.kg) {
      env['IPMI_KGKEY'] = target.kg;
      args.push('-K');
    }
    try {
      const result = await runProcessStep(deps, call, {
        file: o.command,
        args: [...args, ...words],
        env,
        secrets,
      });
      if (result.exitCode !== 0) throw classifyIpmitoolFailure(result);
      return result;
    } finally {
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  };

  return {
    description: `ipmi ${o.host}:${o.port}`,
    callTimeoutMs: o.callTimeoutMs,
    async powerOff(call) {
      await run(call, ['chassis', 'power', 'off']);
    },
    async powerOn(call) {
      await run(call, ['chassis', 'power', 'on']);
    },
    async powerState(call): Promise<PowerReading> {
      return parsePowerStatus((await run(call, ['chassis', 'power', 'status'])).stdout);
    },
  };
}

/**
 * Connection options. `-v` makes ipmitool name the reason of a failed session setup ("RAKP 2
 * HMAC is invalid" for a wrong password); without it every failure reads "Unable to establish
 * IPMI v2 / RMCP+ session", and a wrong password would be retried until the deadline.
 */
export function baseArgs(o: IpmiOptions): string[] {
  const args = ['-I', o.interface, '-H', o.host, '-p', String(o.port), '-U', o.user];
  args.push('-L', o.privilege);
  if (o.cipherSuite !== undefined) args.push('-C', String(o.cipherSuite));
  args.push('-v');
  return args;
}

/** `Chassis Power is on|off`; anything else (an empty or other answer) proves nothing. */
export function parsePowerStatus(stdout: string): PowerReading {
  const states = [...stdout.matchAll(/Chassis Power is (on|off)\b/gi)].map((m) =>
    m[1]?.toLowerCase() === 'off' ? ('off' as const) : ('on' as const),
  );
  const [state] = states;
  if (state && states.every((s) => s === state)) return { state };
  const shown = lastLine(stdout) || 'empty output';
  return { state: 'unknown', detail: `ipmitool answered no single chassis power state (${shown})` };
}

const authFailure =
  /RAKP 2 HMAC is invalid|unauthorized name|invalid user ?name|unauthorized role|password .*(invalid|incorrect)|Authentication type .* not supported|Invalid session/i;
const busy = /Node busy|\b0xc0\b|Out of space|Insufficient resources/i;
const unreachable =
  /No response from remote controller|no response from RAKP|Unable to establish|Connection refused|Address lookup|Network is unreachable|No route to host/i;

/** Maps ipmitool's output to a typed error; the action loop retries what can still succeed. */
export function classifyIpmitoolFailure(result: RunResult): ExecError {
  const text = `${result.stderr}\n${result.stdout}`;
  const last = lastLine(result.stderr) || lastLine(result.stdout) || `exit ${result.exitCode}`;
  if (authFailure.test(text))
    return new ExecError('auth', `BMC refused the credentials (${matchOf(authFailure, text)})`);
  if (busy.test(text)) return new ExecError('busy', `BMC busy: ${last}`);
  // Only the command's own failure line: `-v` also prints a harmless "Invalid command" for an
  // optional capability probe (Get VSO Capabilities) on every call.
  if (/failed: (Invalid command|Command not supported|Invalid data field)/i.test(text))
    return new ExecError('unsupported', `BMC refused the command: ${last}`);
  if (unreachable.test(text)) return new ExecError('unreachable', `BMC unreachable: ${last}`);
  return new ExecError('failed', `ipmitool failed: ${last}`);
}

function lastLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .at(-1) ?? ''
  );
}

function matchOf(pattern: RegExp, text: string): string {
  return pattern.exec(text)?.[0] ?? 'refused';
}
