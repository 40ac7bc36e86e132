import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDoctor } from '../../cli/doctor.ts';
import { type Clock, systemClock } from '../../core/clock.ts';
import type { RelayMailbox } from '../../core/drivers/relayMailbox.ts';
import { silentLog } from '../../core/log.ts';
import { checkDevice, configuredDevices } from '../../core/readiness/deviceChecks.ts';
import { runReadinessTick } from '../../core/readiness/tick.ts';
import { createRuntime, type Runtime } from '../../core/runtime.ts';
import { openTestLedger, type TestLedger } from '../support/ledgers.ts';
import { answerTo, verifyPulled, writePullTestConfig } from '../support/pullSetup.ts';

/**
 * A pull relay's fence path in readiness and `fencer doctor` (issue 17): `failing` while the
 * relay has not polled for 60 s (or never did), otherwise proven by a status action through
 * the pull path; both show the last poll.
 */
const setup = writePullTestConfig();
/** Real time, shifted by `skewMs`: lets a test stand a minute later without waiting for it. */
let skewMs = 0;
const clock: Clock = { now: () => Date.now() + skewMs, sleep: systemClock.sleep };
let runtime: Runtime;
const stop = new AbortController();

let ledger: TestLedger;

beforeAll(async () => {
  ledger = await openTestLedger('sqlite', 'pullready', { now: () => clock.now() });
  runtime = createRuntime({ loaded: setup.loaded, ledger, log: silentLog, version: 't', clock });
});
afterAll(async () => {
  stop.abort();
  await new Promise((r) => setTimeout(r, 400));
  await ledger?.close();
});

/** Stands in for fencer-relay at site1: answers every status with `on`, until the suite ends. */
async function respond(mailbox: RelayMailbox): Promise<void> {
  while (!stop.signal.aborted) {
    for (const action of await mailbox.poll('site1', 300)) {
      const request = await verifyPulled(action, 'site1', setup.relayKey('site1'));
      const body = JSON.stringify(answerTo(request, 'on'));
      await mailbox.answer('site1', request.requestId, { status: 200, body });
    }
  }
}

const nodeB = () => {
  const cluster = setup.loaded.config.clusters.pc;
  if (!cluster) throw new Error('no cluster');
  const device = configuredDevices(cluster).find((d) => d.node === 'b');
  if (!device) throw new Error('no device');
  return device;
};

describe('readiness and doctor of a pull relay', () => {
  it('a relay that never polled is failing, and no action is issued for it', async () => {
    // Act
    await runReadinessTick(runtime, 5_000);
    const [record] = (await runtime.readiness.devices('pc')).filter((r) => r.node === 'b');

    // Assess
    expect(record).toMatchObject({ status: 'failing', driver: 'relay', powerState: 'unknown' });
    expect(record?.detail).toContain('relay polling: it never polled');
    const mailbox = await runtime.relayMailbox.store.take('site1', clock.now(), 0, 16);
    expect(mailbox.actions).toEqual([]);
  });

  it('a polling relay is proven by a status read through the pull path; doctor shows the last poll', async () => {
    // Prepare
    void respond(runtime.relayMailbox);
    await new Promise((r) => setTimeout(r, 100));

    // Act
    const result = await checkDevice(nodeB(), 'pc', { drivers: runtime.drivers, clock }, 5_000);
    const [doctor] = (
      await runDoctor({
        loaded: setup.loaded,
        clock,
        relayMailbox: runtime.relayMailbox,
        cluster: 'pc',
      })
    ).filter((r) => r.node === 'b' && r.level === 1);

    // Assess
    expect(result).toMatchObject({ status: 'ok', powerState: 'on' });
    expect(result.detail).toMatch(/last poll \d s ago/);
    expect(doctor).toMatchObject({ ok: true, device: 'relay site1/b-switch' });
    expect(doctor?.checks.map((c) => c.name)).toEqual(['relay polling', 'power state readable']);
    expect(doctor?.checks[0]?.detail).toMatch(/^last poll \d s ago \(\d{4}-/);
  });

  it('a relay silent for over 60 s is failing, and doctor says since when', async () => {
    // Prepare: the responder stops; a minute and a bit passes.
    stop.abort();
    await new Promise((r) => setTimeout(r, 400));
    skewMs = 61_000;

    // Act
    const result = await checkDevice(nodeB(), 'pc', { drivers: runtime.drivers, clock }, 5_000);
    const [doctor] = (
      await runDoctor({
        loaded: setup.loaded,
        clock,
        relayMailbox: runtime.relayMailbox,
        cluster: 'pc',
      })
    ).filter((r) => r.node === 'b' && r.level === 1);

    // Assess
    expect(result).toMatchObject({ status: 'failing', powerState: 'unknown' });
    expect(result.detail).toMatch(/relay polling: no poll for 6\d s \(last at /);
    expect(doctor).toMatchObject({ ok: false });
    expect(doctor?.checks[0]).toMatchObject({
      name: 'relay polling',
      ok: false,
      fix: expect.stringContaining('pull:'),
    });
  });

  it('doctor without the ledger says where the last poll is, instead of guessing', async () => {
    // Act
    const [doctor] = (await runDoctor({ loaded: setup.loaded, clock, cluster: 'pc' })).filter(
      (r) => r.node === 'b' && r.level === 1,
    );

    // Assess
    expect(doctor).toMatchObject({ ok: false });
    expect(doctor?.checks[0]?.detail).toContain('ledger');
  });
});
