import { type ChildProcess, spawn } from 'node:child_process';

/** A peer process started by a test: its output so far, and a stop that is safe to repeat. */
export interface PeerProcess {
  pid: number;
  child: ChildProcess;
  /** Every stdout line so far (JSON peers and the relay's pino lines). */
  lines: string[];
  stderr(): string;
  exited(): boolean;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();

// Last line of defence: a test that crashed still takes its peers down with the worker.
process.once('exit', () => {
  for (const child of running) if (child.pid) safeKill(child.pid, 'SIGKILL');
});

/**
 * Starts a peer and resolves when a stdout line matches `ready` (or rejects with its stderr when
 * it exits first or `timeoutMs` passes). Peers are stopped by PID: SIGTERM, then SIGKILL.
 */
export function startPeer(
  file: string,
  args: readonly string[],
  options: {
    env: NodeJS.ProcessEnv;
    ready: (line: string) => boolean;
    timeoutMs?: number;
    cwd?: string;
  },
): Promise<{ peer: PeerProcess; readyLine: string }> {
  const child = spawn(file, [...args], {
    env: options.env,
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const lines: string[] = [];
  let stderr = '';
  let partial = '';
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      running.delete(child);
      resolve();
    }),
  );
  const peer: PeerProcess = {
    pid: child.pid ?? -1,
    child,
    lines,
    stderr: () => stderr,
    exited: () => exited,
    async stop() {
      if (exited || !child.pid) return;
      safeKill(child.pid, 'SIGTERM');
      const timer = setTimeout(() => child.pid && safeKill(child.pid, 'SIGKILL'), 3000);
      await exit;
      clearTimeout(timer);
    },
  };
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void peer.stop();
      reject(new Error(`${file} not ready after ${options.timeoutMs ?? 30_000} ms: ${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${file} exited (${code ?? signal}) before ready: ${stderr}`));
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      partial += chunk.toString('utf8');
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (options.ready(line)) {
          clearTimeout(timer);
          resolve({ peer, readyLine: line });
        }
      }
    });
  });
}

function safeKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}
