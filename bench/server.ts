import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ApiClient } from '../cli/apiClient.ts';
import { startEmbeddedAzurite } from '../cli/embeddedAzurite.ts';
import { systemClock } from '../core/clock.ts';
import { startServe } from '../test/support/processes.ts';

/** One `fencer serve` process on its own embedded Azurite, with the clusters the bench needs. */
export async function startBenchServer(
  clusters: Record<string, unknown>,
  relays: Record<string, unknown> = {},
  extraEnv: Record<string, string> = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'fencer-bench-'));
  const env: Record<string, string> = { ...extraEnv };
  const secrets = new Map<string, string>();
  const key = (keyId: string) => {
    const name = `K_${keyId.replace(/[^A-Za-z0-9]/g, '_')}`;
    const secret = randomBytes(32).toString('base64');
    env[name] = secret;
    secrets.set(keyId, secret);
    return { secretRef: `env:${name}` };
  };
  const doc = {
    clusters: Object.fromEntries(
      Object.entries(clusters).map(([c, spec]) => {
        const { nodes, ...options } = spec as { nodes: Record<string, { levels: unknown }> };
        return [
          c,
          {
            ...options,
            nodes: Object.fromEntries(
              Object.entries(nodes).map(([n, node]) => [n, { ...node, key: key(`${c}/${n}`) }]),
            ),
          },
        ];
      }),
    ),
    relays,
    admins: { bench: key('admin/bench') },
  };
  const file = join(dir, 'fencer.yaml');
  writeFileSync(file, stringify(doc));
  const azurite = await startEmbeddedAzurite();
  const serve = await startServe(['--config', file], {
    ...env,
    AzureWebJobsStorage: azurite.connectionString,
    FENCER_LOG_LEVEL: 'warn',
  });
  return {
    dir,
    url: serve.url,
    pid: serve.child.pid ?? -1,
    client: (keyId: string) =>
      new ApiClient({
        url: serve.url,
        keyId,
        secret: secrets.get(keyId) ?? '',
        clock: systemClock,
      }),
    async stop() {
      await serve.stop();
      await azurite.stop();
    },
  };
}
