import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { removeLab, removeLeftoverLabs } from './support/cleanup.ts';
import { labNames, newLabId, processIdentity } from './support/labNames.ts';
import { ensurePacemakerPackages } from './support/packages.ts';
import './support/labInstance.ts';

/**
 * Once per run of the `pacemaker` project: install the Debian packages (without letting them
 * start services on the host), remove what crashed earlier runs left, and reserve this run's
 * lab name. The lab itself is built by the first test that needs it; the teardown removes
 * everything named after it, by name and PID, whatever happened.
 */
export default async function setup(project: TestProject) {
  const log = (line: string) => process.stderr.write(`[pacemaker setup] ${line}\n`);
  ensurePacemakerPackages(log);
  await removeLeftoverLabs(log);
  const id = newLabId();
  const names = labNames(id);
  mkdirSync(names.dir, { mode: 0o700 });
  writeFileSync(join(names.dir, 'owner'), processIdentity(process.pid) ?? '');
  project.provide('pacemakerLab', id);
  return async () => {
    await removeLab(id);
  };
}
