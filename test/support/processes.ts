import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const fencerBin = fileURLToPath(new URL('../../bin/fencer.js', import.meta.url));

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
