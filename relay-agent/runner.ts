import { type ChildProcess, spawn } from 'node:child_process';
import { type Clock, systemClock } from '../core/clock.ts';
import { ExecError, resourceErrnos } from './errors.ts';

/**
 * One process run. There is no shell anywhere: `file` is executed with `args` as its argv, so
 * nothing in a target name or a config value can become a command.
 */
export interface RunRequest {
  file: string;
  args: readonly string[];
  /** The child's whole environment. Nothing is inherited, so the relay's own keys stay put. */
  env: Readonly<Record<string, string>>;
  /** The process is killed (SIGKILL) after this long; the result then has `timedOut`. */
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface RunResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
  timedOut: boolean;
}

/** The process port; executors get it from the composition root, tests hand in fakes. */
export interface Runner {
  /** Rejects only when the program cannot be started (ExecError `not-installed`). */
  run(request: RunRequest): Promise<RunResult>;
}

/** What a runner saw when it started a process; never carries environment values. */
export interface SpawnRecord {
  pid: number | undefined;
  file: string;
  args: readonly string[];
  envNames: string[];
  timeoutMs: number;
}

const maxOutputBytes = 1024 * 1024;

/** The real runner: `spawn` without a shell, a timeout per call, output capped at 1 MiB. */
export function createProcessRunner(
  options: { clock?: Clock; onSpawn?: (record: SpawnRecord) => void } = {},
): Runner {
  const clock = options.clock ?? systemClock;
  return {
    run: (request) =>
      new Promise<RunResult>((resolve, reject) => {
        const startedAt = clock.now();
        let stdout = '';
        let stderr = '';
        let timedOut = false;
        let settled = false;
        let child: ChildProcess;
        try {
          child = spawn(request.file, [...request.args], {
            env: { ...request.env },
            shell: false,
            stdio: ['ignore', 'pipe', 'pipe'],
          });
        } catch (err) {
          reject(spawnError(request.file, err));
          return;
        }
        const kill = () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        };
        const timer = setTimeout(
          () => {
            timedOut = true;
            kill();
          },
          Math.max(1, request.timeoutMs),
        );
        const onAbort = () => kill();
        const done = () => {
          clearTimeout(timer);
          request.signal?.removeEventListener('abort', onAbort);
          settled = true;
        };
        // Before touching stdio: out of file descriptors, spawn returns a child without its
        // pipes and emits 'error' on the next tick; an 'error' nobody listens to kills the relay.
        child.on('error', (err: NodeJS.ErrnoException) => {
          if (settled) return;
          done();
          reject(spawnError(request.file, err));
        });
        request.signal?.addEventListener('abort', onAbort, { once: true });
        if (request.signal?.aborted) kill();
        child.stdout?.on('data', (chunk: Buffer) => {
          if (stdout.length < maxOutputBytes) stdout += chunk.toString('utf8');
        });
        child.stderr?.on('data', (chunk: Buffer) => {
          if (stderr.length < maxOutputBytes) stderr += chunk.toString('utf8');
        });
        child.on('spawn', () => {
          options.onSpawn?.({
            pid: child.pid,
            file: request.file,
            args: [...request.args],
            envNames: Object.keys(request.env),
            timeoutMs: request.timeoutMs,
          });
        });
        child.on('close', (exitCode, signal) => {
          if (settled) return;
          done();
          resolve({
            exitCode,
            signal,
            stdout,
            stderr,
            elapsedMs: clock.now() - startedAt,
            timedOut,
          });
        });
      }),
  };
}

/**
 * Why a program could not be started: not installed (no retry helps), or the relay is out of
 * file descriptors / processes / memory (`resources`: the caller retries), or else `failed`.
 */
export function spawnError(file: string, err: unknown): ExecError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
  const message = `cannot run ${file}: ${err instanceof Error ? err.message : String(err)}`;
  if (code === 'ENOENT' || code === 'EACCES') return new ExecError('not-installed', message);
  if (resourceErrnos.has(code)) return new ExecError('resources', message, { cause: err });
  return new ExecError('failed', message, { cause: err });
}

/** Wraps a runner and keeps every request's argv and environment *names* (tests, audits). */
export function createRecordingRunner(inner: Runner): Runner & { readonly calls: SpawnRecord[] } {
  const calls: SpawnRecord[] = [];
  return {
    calls,
    run(request) {
      calls.push({
        pid: undefined,
        file: request.file,
        args: [...request.args],
        envNames: Object.keys(request.env),
        timeoutMs: request.timeoutMs,
      });
      return inner.run(request);
    },
  };
}

/** Flags whose next argument is a secret, in the tools we run or that an operator might add. */
const secretFlags = new Set(['-P', '-k', '-y', '--password', '--passwd', '--kg-key']);

/**
 * A printable command line with secrets masked: values after secret flags, `--password=...`,
 * and any known secret text wherever it appears. This is the one place commands are turned
 * into text, so steps, answers and logs can never carry a password.
 */
export function redact(file: string, args: readonly string[], secrets: readonly string[]): string {
  const masked: string[] = [];
  let maskNext = false;
  for (const arg of args) {
    if (maskNext) {
      masked.push('***');
      maskNext = false;
      continue;
    }
    if (secretFlags.has(arg)) {
      masked.push(arg);
      maskNext = true;
      continue;
    }
    const eq = arg.indexOf('=');
    if (eq > 0 && secretFlags.has(arg.slice(0, eq))) {
      masked.push(`${arg.slice(0, eq)}=***`);
      continue;
    }
    masked.push(arg);
  }
  return maskSecrets([file, ...masked].map(quote).join(' '), secrets);
}

/** Replaces every occurrence of every secret (longest first) with `***`. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of [...secrets].filter((s) => s.length > 0).sort((a, b) => b.length - a.length))
    out = out.split(secret).join('***');
  return out;
}

function quote(arg: string): string {
  return /^[A-Za-z0-9_./:=@,+*-]+$/.test(arg) ? arg : JSON.stringify(arg);
}

/**
 * What child processes (ipmitool, vmware-cmd, esxcli) get: a search path and a fixed locale so
 * their output parses the same everywhere. Not the relay's environment: it holds the keys.
 */
export function childEnvOf(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {
    PATH: env['PATH'] ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    LANG: 'C',
    LC_ALL: 'C',
  };
  for (const name of ['HOME', 'TMPDIR']) {
    const value = env[name];
    if (value) out[name] = value;
  }
  return out;
}
