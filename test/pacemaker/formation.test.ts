import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  deviceFailureTimeout,
  deviceId,
  dummyId,
  pacemakerSetupCommands,
  shellLine,
  stonithActionCommand,
} from './support/cib.ts';
import { nodeSecretFile } from './support/lab.ts';
import { crmMon, type Stable, waitStable } from './support/labCluster.ts';
import { type LabBoot, theLab } from './support/labInstance.ts';
import { type LabNode, labNodes } from './support/labNames.ts';

const metadataSchema = '/usr/share/cluster/relaxng/metadata.rng';

/** xmllint's verdict on a metadata document (exit 0: valid). */
function validateMetadata(
  dir: string,
  name: string,
  xml: string,
): { valid: boolean; output: string } {
  const file = join(dir, `${name}.xml`);
  writeFileSync(file, xml);
  try {
    const output = execFileSync('xmllint', ['--noout', '--relaxng', metadataSchema, file], {
      stdio: 'pipe',
    });
    return { valid: true, output: output.toString() };
  } catch (err) {
    return { valid: false, output: String((err as { stderr?: Buffer }).stderr ?? err) };
  }
}

let boot: LabBoot;
let stable: Stable;
let other: LabNode;

beforeAll(async () => {
  boot = await theLab();
  // Files share the lab in any order: start from the cluster as it is now.
  stable = await waitStable(boot.lab);
  other = labNodes.find((n) => n !== stable.deviceOn) ?? labNodes[1];
});

describe('scenario a: the cluster forms with fence_fencer as its fence device', () => {
  it('both nodes are online in one partition; the device started and its monitor answered ok', async () => {
    // Prepare
    const { lab } = boot;
    const deviceNode = stable.deviceOn as LabNode;

    // Act
    const views = await Promise.all(labNodes.map((n) => crmMon(lab, n)));

    // Assess
    for (const view of views) {
      expect(view?.withQuorum).toBe(true);
      expect(view?.nodes.map((n) => [n.name, n.online])).toEqual(labNodes.map((n) => [n, true]));
      const device = view?.resources.find((r) => r.id === deviceId);
      expect(device).toMatchObject({
        role: 'Started',
        active: true,
        failed: false,
        nodes: [deviceNode],
      });
      expect(view?.failCounts.get(`${deviceId}@${deviceNode}`) ?? 0).toBe(0);
    }
    const ops = views[0]?.operations.filter(
      (o) => o.resource === deviceId && o.node === deviceNode,
    );
    expect(ops?.find((o) => o.task === 'start')?.rc).toBe(0);
    expect(ops?.find((o) => o.task === 'monitor')?.rc).toBe(0);
    // The monitor Pacemaker ran is a real fence_fencer call that reached Fencer.
    const monitor = lab
      .agentCalls(deviceNode)
      .filter((c) => c.action === 'monitor' && c.exit !== undefined)
      .at(-1);
    expect(monitor?.exit).toBe(0);
    expect(monitor?.options.get('key_id')).toBe('pcmk');
    expect(monitor?.options.get('secret_file')).toBe(nodeSecretFile);
    console.info(`[pacemaker] lab timings (ms): ${JSON.stringify(boot.timings)}`);
  });

  it.each([
    ['test/pacemaker/README.md', 'README.md'],
    ['README.md (Using with Pacemaker)', '../../README.md'],
  ])('%s shows the exact commands that configured this cluster', (_name, path) => {
    const readme = readFileSync(fileURLToPath(new URL(path, import.meta.url)), 'utf8');
    for (const argv of pacemakerSetupCommands(boot.lab.fencer.urlForNodes, nodeSecretFile))
      expect(readme).toContain(shellLine(argv));
    expect(readme).toContain(shellLine(stonithActionCommand('reboot')));
  });

  it('the device carries meta failure-timeout, and the Dummy runs on one node', async () => {
    const meta = await boot.lab.inNodeOk(labNodes[0], [
      'crm_resource',
      '--resource',
      deviceId,
      '--meta',
      '--get-parameter',
      'failure-timeout',
    ]);
    expect(meta.trim()).toBe(deviceFailureTimeout);
    const where = await boot.lab.inNodeOk(labNodes[0], [
      'crm_resource',
      '--locate',
      '--resource',
      dummyId,
    ]);
    expect(where).toContain(`is running on: ${stable.dummyOn}`);
  });

  it('stonith_admin --metadata: the agent answer validates against metadata.rng; Pacemaker only adds start/stop', async () => {
    // Prepare
    const { lab } = boot;
    const before = lab.agentCalls(other).length;

    // Act
    const shown = await lab.inNodeOk(other, [
      'stonith_admin',
      '--metadata',
      '--agent',
      'fence_fencer',
    ]);
    const call = lab
      .agentCalls(other)
      .slice(before)
      .find((c) => c.action === 'metadata');

    // Assess: what fence_fencer printed when Pacemaker asked (action=metadata on stdin).
    expect(call?.exit).toBe(0);
    const own = validateMetadata(lab.names.dir, 'agent-metadata', call?.stdout ?? '');
    expect(own.output).toBe('');
    expect(own.valid).toBe(true);
    // stonith_admin shows it with the start/stop actions Pacemaker adds to every fence agent
    // (their timeout attribute is Pacemaker's, which the schema does not allow: fence_ipmilan's
    // stonith_admin output fails the schema the same way).
    expect(shown).toContain('<action name="start" timeout="20s"/>');
    const withoutPacemakers = shown.replace(/\s*<action name="(start|stop)" timeout="20s"\/>/g, '');
    expect(validateMetadata(lab.names.dir, 'shown-metadata', withoutPacemakers).valid).toBe(true);
  });

  it('--list-targets names each node once, --list finds the device for each, --query answers', async () => {
    const { lab } = boot;
    const targets = await lab.inNode(other, ['stonith_admin', '--list-targets', deviceId]);
    expect(targets.code).toBe(0);
    // One line per node from the agent (`pcmk-a,`), so Pacemaker counts two targets, not four.
    const names = targets.stdout.split('\n').filter((l) => labNodes.includes(l.trim() as LabNode));
    expect(names.map((n) => n.trim()).sort()).toEqual([...labNodes].sort());
    expect(targets.stdout).toContain(`${labNodes.length} fence targets found`);
    for (const node of labNodes) {
      const devices = await lab.inNode(other, ['stonith_admin', '--list', node]);
      expect(devices.code).toBe(0);
      expect(devices.stdout).toContain(`${deviceId}\n1 fence device found`);
    }
    const query = await lab.inNode(other, ['stonith_admin', '--query', deviceId]);
    expect(query.code).toBe(0);
  });

  it('--validate: a good configuration succeeds; a missing secret file, a bad key_id or no URL fail with the reason', async () => {
    const { lab } = boot;
    const validate = (...options: string[]) =>
      lab.inNode(other, [
        'stonith_admin',
        '--validate',
        '--agent',
        'fence_fencer',
        ...options.flatMap((o) => ['--option', o]),
      ]);
    const url = `fencer_url=${lab.fencer.urlForNodes}`;

    const good = await validate(url, 'key_id=pcmk', `secret_file=${nodeSecretFile}`);
    expect(good.code).toBe(0);
    expect(good.stdout).toContain('Validation of fence_fencer succeeded');

    const cases: [string[], string][] = [
      [
        [url, 'key_id=pcmk', 'secret_file=/run/fencer/missing.key'],
        'cannot read /run/fencer/missing.key: ENOENT',
      ],
      [[url, 'key_id=pcmk/a/b', `secret_file=${nodeSecretFile}`], 'key_id must be CLUSTER/NODE'],
      [['key_id=pcmk', `secret_file=${nodeSecretFile}`], 'missing required option fencer_url'],
    ];
    for (const [options, reason] of cases) {
      const bad = await validate(...options);
      expect(bad.code).toBe(1);
      expect(bad.stdout + bad.stderr).toContain('Validation of fence_fencer failed');
      expect(bad.stdout + bad.stderr).toContain(reason);
    }
  });
});
