import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Incident } from '../../core/protocol/api.ts';
import { startServe } from '../support/processes.ts';
import { writeTestConfig } from '../support/testCluster.ts';

const setup = writeTestConfig({
  crash: {
    options: { fenceDeadlineSeconds: 120 },
    nodes: { a: {}, b: { dummy: { offDelayMs: 8000 } }, c: {} },
  },
});
const dataDir = mkdtempSync(join(tmpdir(), 'fencer-crash-'));
const started: { child: ChildProcess }[] = [];

afterEach(() => {
  for (const s of started) s.child.kill('SIGKILL');
});

describe('crash recovery of the local host', () => {
  it('SIGKILL after a report is accepted and before the fence ends → the restarted host completes it', async () => {
    // Prepare: a target that takes 8 s to turn off, and a short lease so the restart takes over soon.
    const env = { ...setup.env, FENCER_LEASE_MS: '4000', FENCER_SWEEP_MS: '1000' };
    const first = await startServe(['--config', setup.file, '--data-dir', dataDir], env);
    started.push(first);
    const a = setup.client(first.url, 'crash/a');
    const answer = await a.request('POST', '/v1/clusters/crash/reports', {
      target: 'b',
      reason: 'crash test',
    });
    expect(answer.status).toBe(202);
    const id = (answer.body as Incident).incidentId;
    await new Promise((r) => setTimeout(r, 1500));
    expect(JSON.parse(readFileSync(setup.statusFile('crash', 'b'), 'utf8'))).toMatchObject({
      power: 'on',
      powerOffCalls: 1,
    });

    // Act: kill the host mid-fence, restart it on the same data dir.
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    const restartedAt = Date.now();
    const second = await startServe(['--config', setup.file, '--data-dir', dataDir], env);
    started.push(second);

    // Assess: the accepted incident is still there and ends fenced, well within 60 s.
    const b = setup.client(second.url, 'crash/a');
    const done = (await b.request('GET', `/v1/clusters/crash/incidents/${id}?waitSeconds=60`))
      .body as Incident;
    expect(done).toMatchObject({ incidentId: id, state: 'fenced', target: 'b', reporters: ['a'] });
    expect(Date.now() - restartedAt).toBeLessThan(60_000);
    expect(JSON.parse(readFileSync(setup.statusFile('crash', 'b'), 'utf8')).power).toBe('off');
    expect(await second.stop()).toBe(0);
  });
});
