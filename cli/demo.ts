import { randomBytes } from 'node:crypto';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { loadConfigFile } from '../core/config/load.ts';
import { resolvePath } from '../core/config/secrets.ts';

/**
 * `npm start` on a fresh clone: the demo config's signing keys are `file:` refs that are not
 * committed (a key in git is no key); create each missing one with 32 random bytes, mode 0600.
 */
export async function prepareDemo(configFile: string): Promise<string[]> {
  const loaded = loadConfigFile(configFile, { skipSecrets: true });
  const refs = [
    ...Object.values(loaded.config.clusters).flatMap((c) =>
      Object.values(c.nodes).map((n) => n.key.secretRef),
    ),
    ...Object.values(loaded.config.admins).map((a) => a.secretRef),
    ...Object.values(loaded.config.viewers).map((v) => v.secretRef),
  ];
  const created: string[] = [];
  for (const ref of refs) {
    if (!ref.startsWith('file:')) continue;
    const path = resolvePath(ref.slice(5), loaded.baseDir);
    if (await exists(path)) continue;
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeFile(path, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    created.push(path);
  }
  return created;
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );
