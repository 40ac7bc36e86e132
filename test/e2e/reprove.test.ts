import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadinessView } from '../../core/protocol/readiness.ts';
import { runFencer, startServe } from '../support/processes.ts';
import { writeTestConfig } from '../support/testCluster.ts';

/**
 * Hole 1 as it happened in a real Pacemaker cluster: pm-b was fenced (off only), a person
 * powered it on at its BMC without poweringOn it in Fencer, it rejoined; on the next link cut
 * pm-a's report got `200 already fenced`, the survivor failed over, and the resource ran on
 * both nodes. A report about a node fenced more than 10 s ago must fence it again.
 */
const setup = writeTestConfig({
  pm: { nodes: { 'pm-a': {}, 'pm-b': { dummy: { offDelayMs: 1000 } } } },
});
let serve: Awaited<ReturnType<typeof startServe>>;

beforeAll(async () => {
  serve = await startServe(['--config', setup.file], {
    ...setup.env,
  });
});
afterAll(async () => {
  expect(await serve?.stop()).toBe(0);
});

const power = () => JSON.parse(readFileSync(setup.statusFile('pm', 'pm-b'), 'utf8'));

function report(reporter: string, target: string) {
  const secretFile = join(setup.dir, `${reporter}.key`);
  writeFileSync(secretFile, `${setup.secret(`pm/${reporter}`)}\n`, { mode: 0o600 });
  return runFencer([
    'report',
    '--url',
    serve.url,
    '--key-id',
    `pm/${reporter}`,
    '--secret-file',
    secretFile,
    '--target',
    target,
    '--reason',
    'corosync link lost',
    '--wait',
    '30',
  ]);
}

/** Waits until a readiness check after `since` has read the node's device `off`. */
async function readinessReadOff(node: string, since: number) {
  const admin = setup.client(serve.url, 'admin/ops');
  for (const end = Date.now() + 20_000; Date.now() < end; ) {
    const answer = await admin.request('GET', '/v1/clusters/pm/readiness');
    const view = answer.body as ReadinessView;
    const device = view.nodes.find((n) => n.name === node)?.levels[0]?.devices[0];
    const checkedAt = device?.checkedAt ? Date.parse(device.checkedAt) : 0;
    if (device?.powerState === 'off' && checkedAt >= since) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no readiness check read ${node} off`);
}

describe('a node fenced long ago is re-proven', () => {
  it('powered on by hand, it is fenced again, and fencer report exits 0 only after that', async () => {
    // Prepare: pm-b fenced (off only), then powered on at its BMC by a person.
    const first = await report('pm-a', 'pm-b');
    expect(first.code).toBe(0);
    expect(power()).toMatchObject({ power: 'off', powerOffCalls: 1 });
    // The readiness check right after a fence reads it off; the person powers it on later,
    // between two checks (one read `on` would make it a member again, DESIGN "Node side").
    await readinessReadOff('pm-b', Date.now() - 1000);
    writeFileSync(
      setup.statusFile('pm', 'pm-b'),
      `${JSON.stringify({ ...power(), power: 'on' })}\n`,
    );
    await new Promise((r) => setTimeout(r, 10_500));

    // Act: the next link cut; pm-b (still fenced in Fencer) accuses pm-a too.
    const [again, loser] = await Promise.all([report('pm-a', 'pm-b'), report('pm-b', 'pm-a')]);

    // Assess: fenced again before the hook was told, and pm-b's word did not count.
    expect(again.code).toBe(0);
    expect(power()).toMatchObject({ power: 'off', powerOffCalls: 2 });
    expect(loser.code).toBe(1);
    expect(loser.output).toContain('reporter-fenced');
    const ids = [first.output, again.output].map((o) => /incident ([0-9a-z-]+)/.exec(o)?.[1]);
    expect(ids[0]).toBeDefined();
    expect(ids[1]).not.toBe(ids[0]);
  });

  it('still off, it is fenced at once without another power-off', async () => {
    await new Promise((r) => setTimeout(r, 10_500));
    const before = power().powerOffCalls;
    const again = await report('pm-a', 'pm-b');
    expect(again.code).toBe(0);
    expect(power()).toMatchObject({ power: 'off', powerOffCalls: before });
  });
});
