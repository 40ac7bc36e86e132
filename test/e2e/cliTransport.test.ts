import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type MisbehavingServer,
  type Misbehaviour,
  misbehaviours,
  startMisbehaving,
} from '../support/misbehavingServer.ts';
import { agentBin, fencerBin, runBudgeted } from '../support/processes.ts';

/**
 * `fencer report` and `fence_fencer`, the real binaries, against servers that fail them in every
 * way a network or a proxy can: each run ends in a documented exit code, with the reason on
 * stderr, within the time the caller gave (counted from the process start) plus a small margin.
 */
const WAIT_S = 3;
/** Process exit after the deadline, plus spawn overhead on a loaded 2-core machine. */
const MARGIN_MS = 2_500;

const dir = mkdtempSync(join(tmpdir(), 'fencer-transport-'));
const secretFile = join(dir, 'a.key');
writeFileSync(secretFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });

type Case = Misbehaviour | 'dns-failure';
/** The one-line reason each failure must be named by. */
const reasons: Record<Case, RegExp> = {
  refused: /connection refused \(ECONNREFUSED\)/,
  'drop-on-accept': /connection (closed before an answer|reset \(ECONNRESET\))/,
  'drop-after-request': /connection closed before an answer/,
  reset: /connection reset \(ECONNRESET\)/,
  hang: /no answer within \d+(\.\d+)? s/,
  'hang-mid-body': /no answer within \d+(\.\d+)? s/,
  'http-503': /HTTP 503 unavailable: storage is down/,
  'bad-json-200': /unreadable answer \(HTTP 200, not JSON: \{"nodes"/,
  'bad-json-202': /unreadable answer \(HTTP 202, not JSON: \{"incidentId"/,
  'proxy-502': /HTTP 502 \(text\/html: 502 Bad Gateway 502 Bad Gateway nginx\/1\.22\.1\)/,
  'dns-failure': /host not found \(ENOTFOUND\)/,
};
const cases = [...misbehaviours, 'dns-failure'] as const;

const servers = new Map<Case, MisbehavingServer>();
async function serverFor(mode: Case): Promise<MisbehavingServer> {
  let server = servers.get(mode);
  if (!server) {
    server =
      mode === 'dns-failure'
        ? {
            url: 'http://fencer-test.invalid:7071/api',
            connections: () => 0,
            close: async () => {},
          }
        : await startMisbehaving(mode);
    servers.set(mode, server);
  }
  return server;
}
afterAll(async () => {
  await Promise.all([...servers.values()].map((s) => s.close()));
});

/** At most this many runs at once, so start-up on 2 cores does not eat the 3 s budgets. */
let running = 0;
const waiting: (() => void)[] = [];
async function limited<T>(run: () => Promise<T>): Promise<T> {
  if (running >= 3) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await run();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

const report = (url: string) =>
  limited(() =>
    runBudgeted(
      fencerBin,
      (wait) => ({
        args: [
          'report',
          '--url',
          url,
          '--key-id',
          'c/a',
          '--secret-file',
          secretFile,
          '--target',
          'b',
          '--wait',
          String(wait),
        ],
      }),
      WAIT_S,
    ),
  );

const agent = (url: string, action: string) =>
  limited(() =>
    runBudgeted(
      agentBin,
      (timeout) => ({
        input: `action=${action}\nport=b\nfencer_url=${url}\nkey_id=c/a\nsecret_file=${secretFile}\npower_timeout=${timeout}\nstatus_timeout=${timeout}\n`,
      }),
      WAIT_S,
    ),
  );

type Run = Awaited<ReturnType<typeof agent>>;

/** A documented failure: exit 1, the reason for this misbehaviour on stderr, in time. */
function expectFailed(run: Run, mode: Case) {
  expect({ code: run.code, stderr: run.stderr }).toMatchObject({
    code: 1,
    stderr: expect.stringMatching(reasons[mode]),
  });
  expect(run.ms, `${run.seconds} s budget: ${run.stderr}`).toBeLessThan(
    run.seconds * 1000 + MARGIN_MS,
  );
}

describe.concurrent('fencer report: exit 1 with the reason on stderr, within --wait', () => {
  for (const mode of cases)
    it(mode, async () => {
      const server = await serverFor(mode);
      const run = await report(server.url);
      expectFailed(run, mode);
      expect(run.stderr).toMatch(/^fencer: report not delivered: /);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    });
});

describe.concurrent('fence_fencer off and status: exit 1 with "Failed: <reason>"', () => {
  for (const mode of cases)
    it(mode, async () => {
      const server = await serverFor(mode);
      const [off, status] = await Promise.all([
        agent(server.url, 'off'),
        agent(server.url, 'status'),
      ]);
      for (const run of [off, status]) {
        // status must never answer 0 (on) or 2 (off) when Fencer did not answer.
        expectFailed(run, mode);
        expect(run.stderr).toMatch(/^Failed: /);
        expect(run.stdout).toBe('');
      }
    });
});

describe.concurrent('retries go on for as long as the caller allows', () => {
  it('drop, reset and 502 are retried with backoff until the deadline, not once', async () => {
    await Promise.all(
      (['drop-after-request', 'reset', 'proxy-502'] as const).map(async (mode) => {
        const server = await startMisbehaving(mode);
        // A run whose start-up ate the budget, leaving room for one try, says nothing about
        // retrying: it runs again with more time (runBudgeted).
        let before = 0;
        const run = await limited(() =>
          runBudgeted(
            agentBin,
            (timeout) => {
              before = server.connections();
              return {
                input: `action=off\nport=b\nfencer_url=${server.url}\nkey_id=c/a\nsecret_file=${secretFile}\npower_timeout=${timeout}\nstatus_timeout=${timeout}\n`,
              };
            },
            WAIT_S,
            () => server.connections() - before < 2,
          ),
        );
        const tries = server.connections() - before;
        await server.close();
        expect(run.code).toBe(1);
        expect(tries).toBeGreaterThanOrEqual(2);
        // It used the time it had: it stopped trying only close to the deadline.
        expect(run.ms).toBeGreaterThan(run.seconds * 1000 - 1_000);
      }),
    );
  });

  it('monitor and list fail with the reason too', async () => {
    for (const mode of ['hang-mid-body', 'proxy-502'] as const) {
      const server = await serverFor(mode);
      const [monitor, list] = await Promise.all([
        agent(server.url, 'monitor'),
        agent(server.url, 'list'),
      ]);
      for (const run of [monitor, list]) expectFailed(run, mode);
    }
  });
});
