import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type FlakyProxy, startFlakyProxy } from '../support/flakyProxy.ts';
import { agentBin, fencerBin, runBudgeted, runTimed, startServe } from '../support/processes.ts';
import { uniquePrefix, writeTestConfig } from '../support/testCluster.ts';

/**
 * The real binaries against a real `fencer serve` behind a proxy that fails them for a while:
 * retries go on for as long as the caller's time allows (not ~8 s whatever it allows), and a
 * report that was accepted but whose verdict cannot be read ends in the documented codes.
 */
const setup = writeTestConfig({
  rt: {
    nodes: {
      a: {},
      b: {},
      c: {},
      d: { dummy: { offDelayMs: 15_000 } },
      f: { dummy: { offDelayMs: 15_000 } },
      e: {},
    },
    options: { fenceDeadlineSeconds: 30, maxConcurrentFences: 4 },
  },
});
let serve: Awaited<ReturnType<typeof startServe>>;
const proxies: FlakyProxy[] = [];
const keyFile = join(setup.dir, 'a.key');
writeFileSync(keyFile, `${setup.secret('rt/a')}\n`, { mode: 0o600 });
const power = (node: string) =>
  JSON.parse(readFileSync(setup.statusFile('rt', node), 'utf8')) as { power: string };

beforeAll(async () => {
  serve = await startServe(['--config', setup.file], {
    ...setup.env,
    AzureWebJobsStorage: inject('azurite'),
    FENCER_STORAGE_PREFIX: uniquePrefix('cliretry'),
  });
});
afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  expect(await serve?.stop()).toBe(0);
});

/**
 * A proxy whose back end is "down" (failing every request with `move`) for `downMs` from the
 * first request it gets, however long the client took to start.
 */
async function downFor(downMs: number, move: 'bad-gateway' | 'drop') {
  let upAt: number | undefined;
  const proxy = await startFlakyProxy(serve.url, () => {
    upAt ??= Date.now() + downMs;
    return Date.now() < upAt ? move : 'forward';
  });
  proxies.push(proxy);
  return proxy;
}

/** How long the client kept trying through the outage: first to last failed request. */
function triedFor(proxy: FlakyProxy): number {
  const failed = proxy.log.filter((r) => r.move !== 'forward');
  return (failed.at(-1)?.at ?? 0) - (failed[0]?.at ?? 0);
}

const DOWN_MS = 15_000;

const reportArgs = (url: string, target: string, wait: number) => [
  'report',
  '--url',
  url,
  '--key-id',
  'rt/a',
  '--secret-file',
  keyFile,
  '--target',
  target,
  '--wait',
  String(wait),
];

describe.concurrent('retries last as long as the caller allows', () => {
  it('fencer report --wait 45 through a proxy answering 502 for 15 s: exit 0 once fenced', async () => {
    const proxy = await downFor(DOWN_MS, 'bad-gateway');
    const run = await runTimed(fencerBin, reportArgs(proxy.url, 'b', 45));
    expect(run.stdout).toMatch(/^b fenced \(incident /);
    expect(run.code).toBe(0);
    // The old client gave up after ~8 s of retries whatever --wait allowed.
    expect(triedFor(proxy)).toBeGreaterThan(10_000);
    expect(power('b').power).toBe('off');
  });

  it('fence_fencer off (power_timeout 45) through a proxy dropping connections for 15 s: 0', async () => {
    const proxy = await downFor(DOWN_MS, 'drop');
    const run = await runTimed(agentBin, [], {
      input: `action=off\nport=c\nfencer_url=${proxy.url}\nkey_id=rt/a\nsecret_file=${keyFile}\npower_timeout=45\n`,
    });
    expect(run.stdout).toBe('Success: Powered OFF\n');
    expect(run.code).toBe(0);
    expect(triedFor(proxy)).toBeGreaterThan(10_000);
    expect(power('c').power).toBe('off');
  });
});

describe.concurrent('the report was accepted, then the service cannot be read', () => {
  // d and f take 15 s to power off: their incidents are still `fencing` when the 3 s run out.
  const acceptThen = async (move: 'bad-gateway' | 'drop') => {
    const proxy = await startFlakyProxy(serve.url, (req) =>
      req.method === 'POST' ? 'forward' : move,
    );
    proxies.push(proxy);
    return proxy;
  };

  // On a busy machine the POST (it waits for the verdict itself, up to the budget less a
  // second) can take the whole budget: such a run never polled, or its one poll had no time
  // left to meet the proxy ("no answer within 0 s").
  const notPolled = (run: { stderr: string }) =>
    /is still fencing$|no answer within 0 s/m.test(run.stderr);

  it('fencer report: 3 (no verdict within --wait), with the reason on stderr', async () => {
    const proxy = await acceptThen('drop');
    const run = await runBudgeted(
      fencerBin,
      (wait) => ({ args: reportArgs(proxy.url, 'd', wait) }),
      3,
      notPolled,
    );
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(
      new RegExp(
        `^fencer: incident \\S+ is still fencing: no verdict within ${run.seconds} s \\(.*connection (closed before an answer|reset)`,
      ),
    );
    expect(run.ms).toBeLessThan(run.seconds * 1000 + 2_500);
    expect(proxy.log.filter((r) => r.method === 'GET').length).toBeGreaterThanOrEqual(2);
  });

  it('fence_fencer off: 1 with "Failed: <reason>" within power_timeout', async () => {
    const proxy = await acceptThen('bad-gateway');
    const run = await runBudgeted(
      agentBin,
      (timeout) => ({
        input: `action=off\nport=f\nfencer_url=${proxy.url}\nkey_id=rt/a\nsecret_file=${keyFile}\npower_timeout=${timeout}\n`,
      }),
      3,
      notPolled,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `^Failed: incident \\S+ is still fencing: no verdict within ${run.seconds} s \\(.*HTTP 502`,
      ),
    );
    expect(run.ms).toBeLessThan(run.seconds * 1000 + 2_500);
  });
});
