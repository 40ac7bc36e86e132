import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { ClusterView, Incident } from '../../core/protocol/api.ts';
import { type LedgerKind, ledgerKinds } from '../support/ledgers.ts';
import { startServe } from '../support/processes.ts';
import { uniquePrefix, writeTestConfig } from '../support/testCluster.ts';

/**
 * Power loss, a cgroup kill, the OOM killer: `fencer serve` and everything it started die at
 * once. Each round SIGKILLs serve's whole process group 0.3-0.7 s after a 202 (mid-fence:
 * each target takes 1.5 s to turn off) and restarts it on the same ledger. Every acknowledged
 * incident must exist afterwards and end fenced; an acknowledged unfence must stay done.
 */
const targets = ['t1', 't2', 't3', 't4', 't5'];
const started: { child: { pid?: number | undefined } }[] = [];

/** SIGKILL to the process group (the serve process leads its own group). */
const killGroup = (pid: number | undefined) => {
  if (!pid) throw new Error('no pid');
  process.kill(-pid, 'SIGKILL');
};

afterAll(() => {
  for (const s of started) {
    try {
      killGroup(s.child.pid);
    } catch {
      // already gone
    }
  }
});

describe.each(ledgerKinds)('crash of the whole local host on the %s ledger', (kind: LedgerKind) => {
  const setup = writeTestConfig({
    crash: {
      options: { fenceDeadlineSeconds: 120, maxConcurrentFences: 5 },
      nodes: {
        a: {},
        ...Object.fromEntries(targets.map((t) => [t, { dummy: { offDelayMs: 1_500 } }])),
      },
    },
  });
  const dataDir = mkdtempSync(join(tmpdir(), 'fencer-crash-'));
  const ledgerArgs = kind === 'sqlite' ? ['--data-dir', dataDir] : [];
  const env = {
    ...setup.env,
    FENCER_LEASE_MS: '2000',
    FENCER_SWEEP_MS: '500',
    ...(kind === 'table'
      ? { AzureWebJobsStorage: inject('azurite'), FENCER_STORAGE_PREFIX: uniquePrefix('crash') }
      : {}),
  };
  const start = async () => {
    const serve = await startServe(['--config', setup.file, ...ledgerArgs], env, 60_000, {
      detached: true,
    });
    started.push(serve);
    return serve;
  };
  const kill = async (serve: Awaited<ReturnType<typeof start>>) => {
    killGroup(serve.child.pid);
    expect(await serve.exited).toBe('SIGKILL');
  };

  it('five kills 0.3-0.7 s after a 202: every incident survives and ends fenced; an unfence survives', async () => {
    // Act: one report per round, each host killed mid-fence.
    const ids: string[] = [];
    for (const target of targets) {
      const serve = await start();
      const answer = await setup
        .client(serve.url, 'crash/a')
        .request('POST', '/v1/clusters/crash/reports', { target, reason: 'crash test' });
      expect(answer.status).toBe(202);
      ids.push((answer.body as Incident).incidentId);
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 400));
      await kill(serve);
    }

    // Assess: the restarted host has every incident and finishes each one.
    const serve = await start();
    const a = setup.client(serve.url, 'crash/a');
    const done = await Promise.all(
      ids.map(
        async (id) =>
          (await a.request('GET', `/v1/clusters/crash/incidents/${id}?waitSeconds=60`))
            .body as Incident,
      ),
    );
    expect(done.map((i) => [i.target, i.state])).toEqual(targets.map((t) => [t, 'fenced']));
    for (const target of targets) {
      const status = JSON.parse(readFileSync(setup.statusFile('crash', target), 'utf8'));
      expect(status.power).toBe('off');
    }

    // Act: an unfence answered 200, the host killed within 200 ms of the answer.
    const admin = setup.client(serve.url, 'admin/ops');
    const unfenced = await admin.request('POST', '/v1/clusters/crash/nodes/t1/unfence', {});
    const answeredAt = Date.now();
    expect(unfenced.status).toBe(200);
    await kill(serve);
    expect(Date.now() - answeredAt).toBeLessThan(200);

    // Assess: still unfenced after the restart.
    const again = await start();
    const view = (await setup.client(again.url, 'admin/ops').request('GET', '/v1/clusters/crash'))
      .body as ClusterView;
    expect(view.nodes.find((n) => n.name === 't1')?.state).toBe('member');
    expect(view.nodes.filter((n) => n.state === 'fenced').map((n) => n.name)).toEqual(
      targets.slice(1),
    );
    expect(await again.stop()).toBe(0);
  });
});
