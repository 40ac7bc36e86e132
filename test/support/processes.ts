import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const fencerBin = fileURLToPath(new URL('../../bin/fencer.js', import.meta.url));
export const agentBin = fileURLToPath(new URL('../../bin/fence_fencer.js', import.meta.url));

export interface Spawned {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
}

export function spawnFencer(
  args: string[],
  env: Record<string, string | undefined> = {},
  cwd = repoRoot,
  /** In a process group of its own (its pid is the group id): a test can kill the whole group. */
  detached = false,
): Spawned {
  const child = spawn(process.execPath, [fencerBin, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached,
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return { child, output: () => out, exited };
}

/** Runs `fencer ARGS` to completion. */
export async function runFencer(
  args: string[],
  env: Record<string, string | undefined> = {},
  cwd = repoRoot,
) {
  const run = spawnFencer(args, env, cwd);
  const code = await run.exited;
  return { code, output: run.output() };
}

/**
 * Starts `fencer serve` (`--port 0` unless `args` has a `--listen`) and waits for its
 * `listening on URL` line. Stop it with `stop()` or kill it.
 */
export async function startServe(
  args: string[],
  env: Record<string, string | undefined> = {},
  timeoutMs = 60_000,
  options: { detached?: boolean } = {},
) {
  const listen = args.includes('--listen') ? [] : ['--port', '0'];
  const run = spawnFencer(['serve', ...listen, ...args], env, repoRoot, options.detached);
  let base = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`fencer serve did not start:\n${run.output()}`)),
      timeoutMs,
    );
    const check = () => {
      const match = /listening on (https?:\/\/(?:\[[^\]]+\]|[^\s:]+):(\d+))/.exec(run.output());
      if (match) {
        clearTimeout(timer);
        base = match[1] ?? '';
        resolve(Number(match[2]));
      }
    };
    run.child.stdout?.on('data', check);
    run.exited.then((code) => reject(new Error(`fencer serve exited (${code}):\n${run.output()}`)));
  });
  return {
    ...run,
    port,
    url: `${base}/api`,
    async stop(): Promise<number | string> {
      run.child.kill('SIGTERM');
      return run.exited;
    },
  };
}

export interface TimedRun {
  /** The exit code, or the signal name when it had to be killed. */
  code: number | string;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit. */
  ms: number;
}

/**
 * Runs a bin entry point to completion with stdout and stderr apart and its wall time; kills it
 * (SIGKILL) after `killAfterMs`, so a hang fails the test instead of stalling it.
 */
export async function runTimed(
  bin: string,
  args: string[],
  options: { env?: Record<string, string>; input?: string; killAfterMs?: number } = {},
): Promise<TimedRun> {
  const started = performance.now();
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end(options.input ?? '');
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 60_000);
  const code = await new Promise<number | string>((resolve) =>
    child.once('close', (c, signal) => resolve(c ?? signal ?? -1)),
  );
  clearTimeout(killer);
  return { code, stdout, stderr, ms: performance.now() - started };
}

/**
 * Runs a bin whose deadline counts from its own start (`fencer report --wait`, fence_fencer's
 * power_timeout) with a budget of `seconds`. A run whose first request went out only after
 * that deadline (it says "the first after the deadline": the machine was too busy even to
 * start it in time), or one `tooSlow` says did not get to what is tested, shows nothing about
 * it, so it runs again with twice the budget, up to 4× the first. The result carries the budget
 * it had, for the caller's timing checks; a run that never gets there fails those checks.
 */
export async function runBudgeted(
  bin: string,
  build: (seconds: number) => { args?: string[]; input?: string },
  seconds: number,
  tooSlow: (run: TimedRun) => boolean = () => false,
): Promise<TimedRun & { seconds: number }> {
  for (let budget = seconds; ; budget *= 2) {
    const { args = [], input } = build(budget);
    const run = await runTimed(bin, args, {
      killAfterMs: budget * 1000 + 30_000,
      ...(input === undefined ? {} : { input }),
    });
    const late = /the first after the deadline\)/.test(run.stderr) || tooSlow(run);
    if (budget >= seconds * 4 || !late) return { ...run, seconds: budget };
  }
}
