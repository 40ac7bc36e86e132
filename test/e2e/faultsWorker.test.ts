import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { ClusterStore } from '../../core/ledger/clusterStore.ts';
import { clientsFromConnectionString, storageNames } from '../../core/ledger/storage.ts';
import { TableDocuments } from '../../core/ledger/table/tableDocuments.ts';
import type { Incident } from '../../core/protocol/api.ts';
import { startServe } from '../support/processes.ts';
import { uniquePrefix, writeTestConfig } from '../support/testCluster.ts';

/**
 * A worker process killed mid-fence while another keeps running: two `fencer serve` processes
 * share one storage account and prefix (like two Functions instances). Whichever took the
 * fence is SIGKILLed after its power-off; the other takes the fence over once the dead one's
 * lease lapses, and the incident ends fenced exactly once, with the target powered off once.
 */
const leaseMs = 3_000;
const offDelayMs = 2_000;
const setup = writeTestConfig({
  wk: { nodes: { a: {}, b: { dummy: { offDelayMs } }, c: {} } },
});
const prefix = uniquePrefix('workerkill');
const env = {
  ...setup.env,
  AzureWebJobsStorage: inject('azurite'),
  FENCER_STORAGE_PREFIX: prefix,
  FENCER_LEASE_MS: String(leaseMs),
  FENCER_SWEEP_MS: '500',
};
const ledger = new ClusterStore(
  new TableDocuments(clientsFromConnectionString(inject('azurite'), storageNames(prefix)).ledger),
);
const hosts: Awaited<ReturnType<typeof startServe>>[] = [];

afterAll(async () => {
  for (const host of hosts) if (host.child.exitCode === null) host.child.kill('SIGKILL');
});

const dummy = () => JSON.parse(readFileSync(setup.statusFile('wk', 'b'), 'utf8'));

/** Waits until `probe` returns a value; fails after `ms`. */
async function until<T>(probe: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('a worker process killed mid-fence', () => {
  it('another instance takes the fence over after the lease; fenced once, powered off once', async () => {
    // Prepare: two hosts on one storage prefix; a report through the first.
    const args = ['--config', setup.file];
    hosts.push(...(await Promise.all([startServe(args, env), startServe(args, env)])));
    const [first, second] = hosts;
    if (!first || !second) throw new Error('hosts did not start');
    const answer = await setup
      .client(first.url, 'wk/a')
      .request('POST', '/v1/clusters/wk/reports', { target: 'b', reason: 'worker kill' });
    expect(answer.status).toBe(202);
    const id = (answer.body as Incident).incidentId;

    // Act: once the power-off went out (the target turns off 2 s later), kill the lease holder.
    const owner = await until(
      async () => {
        const { state } = await ledger.read('wk');
        const lease = state.incidents.find((r) => r.id === id)?.lease;
        return lease && dummy().powerOffCalls === 1 ? lease.owner : undefined;
      },
      10_000,
      'the fence to start',
    );
    const pid = Number(/-(\d+)\//.exec(owner)?.[1]);
    const victim = hosts.find((h) => h.child.pid === pid);
    const survivor = hosts.find((h) => h !== victim);
    if (!victim || !survivor) throw new Error(`lease owner ${owner} is neither host`);
    victim.child.kill('SIGKILL');
    expect(await victim.exited).toBe('SIGKILL');
    const killedAt = Date.now();

    // Assess: the survivor ends it within a lease or two, and only once.
    const done = (
      await setup
        .client(survivor.url, 'wk/c')
        .request('GET', `/v1/clusters/wk/incidents/${id}?waitSeconds=30`)
    ).body as Incident;
    expect(done).toMatchObject({ incidentId: id, state: 'fenced', target: 'b', reporters: ['a'] });
    expect(Date.now() - killedAt).toBeLessThan(3 * leaseMs);
    // The dead worker's attempt never ended; the survivor read the state first and found it off.
    expect(done.attempts.map((a) => [a.level, a.outcome])).toEqual([[1, 'off']]);
    expect(done.attempts[0]?.detail).toContain('already off');
    expect(dummy()).toMatchObject({ power: 'off', powerOffCalls: 1 });
    const { state } = await ledger.read('wk');
    expect(state.nodes['b']).toEqual({ state: 'fenced', incidentId: id, at: expect.any(Number) });
    const verdicts = survivor
      .output()
      .split('\n')
      .filter((l) => l.includes('fence ended') && l.includes(id));
    expect(verdicts).toHaveLength(1);
    expect(await survivor.stop()).toBe(0);
  });
});
