import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.ts';

/** Azurite's well-known development account (public, documented by Microsoft). */
const account = 'devstoreaccount1';
const accountKey =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface EmbeddedAzurite {
  connectionString: string;
  pid: number;
  ports: { queue: number; table: number };
  stop(): Promise<void>;
}

export function azuriteConnectionString(
  queuePort: number,
  tablePort: number,
  host = '127.0.0.1',
): string {
  return [
    'DefaultEndpointsProtocol=http',
    `AccountName=${account}`,
    `AccountKey=${accountKey}`,
    `QueueEndpoint=http://${host}:${queuePort}/${account}`,
    `TableEndpoint=http://${host}:${tablePort}/${account}`,
  ].join(';');
}

/**
 * Starts Azurite (queue + table) on free loopback ports, in memory or persistent under
 * `dataDir`: the Table Storage peer of the tests and the bench (the product starts no
 * emulator). It runs under a watchdog that stops it gracefully when this process dies.
 */
export async function startEmbeddedAzurite(
  options: {
    dataDir?: string;
    timeoutMs?: number;
    /** More Azurite arguments, e.g. `--oauth basic --cert … --key …` for an HTTPS test peer. */
    extraArgs?: string[];
  } = {},
): Promise<EmbeddedAzurite> {
  const [blobPort, queuePort, tablePort] = [await freePort(), await freePort(), await freePort()];
  const args = ['--silent', '--disableTelemetry', '--skipApiVersionCheck', '--loose'];
  args.push('--blobHost', '127.0.0.1', '--blobPort', String(blobPort));
  args.push('--queueHost', '127.0.0.1', '--queuePort', String(queuePort));
  args.push('--tableHost', '127.0.0.1', '--tablePort', String(tablePort));
  if (options.dataDir) {
    await mkdir(options.dataDir, { recursive: true });
    args.push('--location', options.dataDir);
  } else {
    args.push('--inMemoryPersistence');
  }
  args.push(...(options.extraArgs ?? []));
  const watchdog = fileURLToPath(new URL('./azuriteWatchdog.cjs', import.meta.url));
  const child = spawn(process.execPath, [watchdog, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  await waitUntilListening(child, options.timeoutMs ?? 30_000);
  return {
    connectionString: azuriteConnectionString(queuePort, tablePort),
    pid: child.pid ?? -1,
    ports: { queue: queuePort, table: tablePort },
    stop: () => stopChild(child),
  };
}

function waitUntilListening(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const seen = new Set<string>();
    const timer = setTimeout(
      () => fail(new Error(`Azurite did not start within ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      for (const service of ['Queue', 'Table']) {
        if (output.includes(`Azurite ${service} service is successfully listening`))
          seen.add(service);
      }
      if (seen.size === 2) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        child.stderr?.resume();
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) =>
      fail(new Error(`Azurite exited with ${code} before it was ready:\n${output}`)),
    );
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdin?.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
  await exited;
  clearTimeout(timer);
}
