import { execFile } from 'node:child_process';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment every lab command gets: nothing of the test runner's leaks into the nodes. */
export const labEnv = {
  PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
  LANG: 'C.UTF-8',
  HOME: '/root',
};

/**
 * Runs a command (argv, never a shell) and resolves with its exit code and output; a timeout
 * kills it and counts as a failure (code -1). `check` throws unless it exits 0.
 */
export function run(
  argv: readonly string[],
  options: {
    timeoutMs?: number;
    input?: string;
    check?: boolean;
    env?: Record<string, string>;
  } = {},
): Promise<RunResult> {
  const [file, ...args] = argv;
  if (!file) throw new Error('run: empty argv');
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      {
        env: { ...labEnv, ...options.env },
        timeout: options.timeoutMs ?? 30_000,
        killSignal: 'SIGKILL',
        maxBuffer: 16 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const code =
          err === null ? 0 : typeof err.code === 'number' ? err.code : err.killed ? -1 : 1;
        const result = { code, stdout: String(stdout), stderr: String(stderr) };
        if (options.check && code !== 0)
          reject(new Error(`${argv.join(' ')} exited ${code}: ${result.stderr}${result.stdout}`));
        else resolve(result);
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** `run` that throws unless the command exits 0; resolves with its stdout. */
export async function runOk(
  argv: readonly string[],
  options: { timeoutMs?: number; input?: string } = {},
): Promise<string> {
  return (await run(argv, { ...options, check: true })).stdout;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a value (not undefined) or `timeoutMs` passes. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs?: number; detail?: () => Promise<string> },
): Promise<T> {
  const until = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) {
      const detail = options.detail ? await options.detail().catch((e) => String(e)) : '';
      throw new Error(
        `timed out after ${options.timeoutMs} ms waiting for ${what}${detail ? `: ${detail}` : ''}`,
      );
    }
    await sleep(options.intervalMs ?? 250);
  }
}
