import { type ChildProcess, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { labEnv } from './shell.ts';

/** A long-running process of the lab, output to a log file, stopped by PID. */
export interface Daemon {
  pid: number;
  exited(): boolean;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
// A worker that dies still takes its daemons with it (the global teardown also kills by name).
process.once('exit', () => {
  for (const child of running) if (child.pid) safeKill(child.pid, 'SIGKILL');
});

function safeKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

export function startDaemon(
  argv: readonly string[],
  logFile: string,
  env: Record<string, string> = labEnv,
): Daemon {
  const [file, ...args] = argv;
  if (!file) throw new Error('startDaemon: empty argv');
  const out = openSync(logFile, 'a');
  const child = spawn(file, args, { env, stdio: ['ignore', out, out] });
  running.add(child);
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      running.delete(child);
      resolve();
    }),
  );
  return {
    pid: child.pid ?? -1,
    exited: () => exited,
    async stop() {
      if (exited || !child.pid) return;
      safeKill(child.pid, 'SIGTERM');
      const timer = setTimeout(() => child.pid && safeKill(child.pid, 'SIGKILL'), 3000);
      await exit;
      clearTimeout(timer);
    },
  };
}
