import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ApiClient } from '../../cli/apiClient.ts';
import { systemClock } from '../../core/clock.ts';
import { parseConfig } from '../../core/config/load.ts';

export interface NodeSpec {
  priority?: number;
  /** Levels of dummy devices (statusFile names are filled in), or any device objects. */
  levels?: Record<string, unknown>[][];
  /** Shorthand for one dummy level with these options. */
  dummy?: Record<string, unknown>;
}

export interface ClusterSpec {
  options?: Record<string, unknown>;
  nodes: Record<string, NodeSpec>;
}

/**
 * Writes a fencer.yaml with fresh keys (as env refs) and dummy status files in a temp dir,
 * and returns the loaded config plus signed clients for any node or the admin. `secrets` are
 * further env variables the config refers to (e.g. a driver credential's secretRef); they are
 * part of the returned `env`.
 */
export function writeTestConfig(
  clusters: Record<string, ClusterSpec>,
  extra: Record<string, unknown> = {},
  secrets: Record<string, string> = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'fencer-test-'));
  const env: Record<string, string> = { ...secrets };
  const secretOf = new Map<string, string>();
  const newKey = (keyId: string) => {
    const name = `K_${keyId.replace(/[^A-Za-z0-9]/g, '_')}`;
    const secret = randomBytes(32).toString('base64');
    env[name] = secret;
    secretOf.set(keyId, secret);
    return { secretRef: `env:${name}` };
  };
  const doc = {
    clusters: Object.fromEntries(
      Object.entries(clusters).map(([c, spec]) => [
        c,
        {
          ...spec.options,
          nodes: Object.fromEntries(
            Object.entries(spec.nodes).map(([n, node]) => [
              n,
              {
                priority: node.priority ?? 0,
                key: newKey(`${c}/${n}`),
                levels: node.levels ?? [
                  [{ dummy: { statusFile: `state/${c}/${n}.json`, ...node.dummy } }],
                ],
              },
            ]),
          ),
        },
      ]),
    ),
    admins: { ops: newKey('admin/ops') },
    ...extra,
  };
  const file = join(dir, 'fencer.yaml');
  writeFileSync(file, stringify(doc));
  const loaded = parseConfig(stringify(doc), file, { env });
  return {
    dir,
    file,
    env,
    loaded,
    statusFile: (cluster: string, node: string) => join(dir, 'state', cluster, `${node}.json`),
    client: (url: string, keyId: string) => {
      const secret = secretOf.get(keyId);
      if (!secret) throw new Error(`no key ${keyId}`);
      return new ApiClient({ url, keyId, secret, clock: systemClock });
    },
    secret: (keyId: string) => secretOf.get(keyId) ?? '',
  };
}

/** A storage prefix no other suite uses, so suites share one Azurite without meeting. */
export const uniquePrefix = (name: string) =>
  `t${name
    .replace(/[^a-z0-9]/gi, '')
    .toLowerCase()
    .slice(0, 12)}${randomBytes(3).toString('hex')}`;
