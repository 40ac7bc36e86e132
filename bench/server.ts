import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedAzurite } from '../test/support/azurite.ts';
import { startServe } from '../test/support/processes.ts';
import { type ClusterSpec, type NodeSpec, writeTestConfig } from '../test/support/testCluster.ts';

/** Which ledger a bench server keeps: SQLite (durable, under a fresh --data-dir) or Azurite. */
export type BenchLedger = 'sqlite' | 'azurite';

/**
 * One `fencer serve` process, on a SQLite file of its own or on an Azurite started for it.
 * `clusters` are written as in fencer.yaml (options next to `nodes`); keys are fresh, the
 * admin key is `admin/ops`. `env` reaches the server and the config loader.
 */
export async function startBenchServer(
  clusters: Record<string, { nodes: Record<string, NodeSpec> } & Record<string, unknown>>,
  relays: Record<string, unknown> = {},
  env: Record<string, string> = {},
  ledger: BenchLedger = 'sqlite',
) {
  const specs: Record<string, ClusterSpec> = Object.fromEntries(
    Object.entries(clusters).map(([name, { nodes, ...options }]) => [name, { options, nodes }]),
  );
  const setup = writeTestConfig(specs, { relays }, env);
  const azurite = ledger === 'azurite' ? await startEmbeddedAzurite() : undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'fencer-bench-'));
  const serve = await startServe(
    ['--config', setup.file, ...(azurite ? [] : ['--data-dir', join(dataDir, 'data')])],
    {
      ...setup.env,
      ...(azurite ? { AzureWebJobsStorage: azurite.connectionString } : {}),
      FENCER_LOG_LEVEL: 'warn',
    },
  );
  return {
    dir: setup.dir,
    url: serve.url,
    pid: serve.child.pid ?? -1,
    client: (keyId: string) => setup.client(serve.url, keyId),
    secret: (keyId: string) => setup.secret(keyId),
    async stop() {
      await serve.stop();
      await azurite?.stop();
    },
  };
}
