import { startEmbeddedAzurite } from '../test/support/azurite.ts';
import { startServe } from '../test/support/processes.ts';
import { type ClusterSpec, type NodeSpec, writeTestConfig } from '../test/support/testCluster.ts';

/**
 * One `fencer serve` process on its own embedded Azurite. `clusters` are written as in
 * fencer.yaml (options next to `nodes`); keys are fresh, the admin key is `admin/ops`.
 * `env` reaches the server and the config loader (driver credentials' secretRefs).
 */
export async function startBenchServer(
  clusters: Record<string, { nodes: Record<string, NodeSpec> } & Record<string, unknown>>,
  relays: Record<string, unknown> = {},
  env: Record<string, string> = {},
) {
  const specs: Record<string, ClusterSpec> = Object.fromEntries(
    Object.entries(clusters).map(([name, { nodes, ...options }]) => [name, { options, nodes }]),
  );
  const setup = writeTestConfig(specs, { relays }, env);
  const azurite = await startEmbeddedAzurite();
  const serve = await startServe(['--config', setup.file], {
    ...setup.env,
    AzureWebJobsStorage: azurite.connectionString,
    FENCER_LOG_LEVEL: 'warn',
  });
  return {
    dir: setup.dir,
    url: serve.url,
    pid: serve.child.pid ?? -1,
    client: (keyId: string) => setup.client(serve.url, keyId),
    async stop() {
      await serve.stop();
      await azurite.stop();
    },
  };
}
