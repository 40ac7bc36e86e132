import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startEmbeddedAzurite } from '../test/support/azurite.ts';
import { startServe } from '../test/support/processes.ts';
import { writeTestConfig } from '../test/support/testCluster.ts';
import { type Summary, summarize } from './stats.ts';

export interface StartupBench {
  /** `fencer serve --data-dir DIR` spawned → first 200 from /v1/health. */
  sqlite: Summary;
  /** The same with `AzureWebJobsStorage` pointing at an Azurite that is already running. */
  azuriteServe: Summary;
  /** Azurite itself, spawned → listening (what the old embedded default waited for too). */
  azuriteItself: Summary;
  load: number;
}

async function untilHealthy(url: string): Promise<void> {
  for (;;) {
    const ok = await fetch(`${url}/v1/health`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Startup to healthy, both ledgers, `runs` times each, interleaved (fresh processes). */
export async function benchStartup(runs: number): Promise<StartupBench> {
  const setup = writeTestConfig({ s: { nodes: { a: {}, b: {} } } });
  const sqlite: number[] = [];
  const azuriteServe: number[] = [];
  const azuriteItself: number[] = [];
  const time = async (env: Record<string, string>, args: string[]) => {
    const started = performance.now();
    const serve = await startServe(['--config', setup.file, ...args], { ...setup.env, ...env });
    await untilHealthy(serve.url);
    const took = performance.now() - started;
    await serve.stop();
    return took;
  };
  for (let i = 0; i < runs; i++) {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'fencer-startup-')), 'data');
    sqlite.push(await time({}, ['--data-dir', dataDir]));
    const began = performance.now();
    const azurite = await startEmbeddedAzurite();
    azuriteItself.push(performance.now() - began);
    try {
      azuriteServe.push(await time({ AzureWebJobsStorage: azurite.connectionString }, []));
    } finally {
      await azurite.stop();
    }
  }
  return {
    sqlite: summarize(sqlite),
    azuriteServe: summarize(azuriteServe),
    azuriteItself: summarize(azuriteItself),
    load: loadavg()[0] ?? 0,
  };
}
