import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { signRequest } from '../../../core/auth/signing.ts';
import { ProblemError } from '../../../core/protocol/problems.ts';
import { ActionService } from '../../../relay-agent/actionService.ts';
import { createRelayLogger } from '../../../relay-agent/audit.ts';
import { relayYaml } from '../../../relay-agent/config.ts';
import type { PowerExecutor } from '../../../relay-agent/executors/types.ts';
import {
  IdempotencyStore,
  maxIdempotencyEntries,
  replayWindowMs,
} from '../../../relay-agent/idempotency.ts';
import { resolveRelayConfig } from '../../../relay-agent/loadConfig.ts';
import type { ActionOutcome } from '../../../relay-agent/runAction.ts';
import { createProcessRunner } from '../../../relay-agent/runner.ts';
import { FakeClock } from '../../support/fakeClock.ts';

const ok = (): Promise<ActionOutcome> =>
  Promise.resolve({
    ok: true,
    response: {
      requestId: 'r',
      target: 't',
      action: 'off',
      powerState: 'off',
      verified: true,
      elapsedMs: 1,
      steps: [],
    },
  });

function outcomeOf(result: ReturnType<IdempotencyStore['begin']>): Promise<ActionOutcome> {
  if (!('outcome' in result)) throw new Error(`unexpected ${result.kind}`);
  return result.outcome;
}

describe('IdempotencyStore', () => {
  it('joins a running action, replays a finished one, and forgets it after the ttl', async () => {
    const clock = new FakeClock();
    const store = new IdempotencyStore(clock, 60_000);
    let runs = 0;
    const start = () => {
      runs++;
      return ok();
    };
    const req = { requestId: 'r-1', target: 'bmc-a', action: 'off' };
    const first = store.begin('k', req, start);
    const joined = store.begin('k', req, start);
    expect([first.kind, joined.kind]).toEqual(['new', 'joined']);
    await outcomeOf(first);
    const replayed = store.begin('k', req, start);
    const otherKey = store.begin('other-key', req, start);
    expect([replayed.kind, otherKey.kind]).toEqual(['replayed', 'new']);
    await outcomeOf(otherKey);
    clock.advance(60_000);
    const expired = store.begin('k', req, start);
    expect(expired.kind).toBe('new');
    await outcomeOf(expired);
    expect(runs).toBe(3);
  });

  it('refuses the same requestId for another target or action', async () => {
    const clock = new FakeClock();
    const store = new IdempotencyStore(clock, 60_000);
    store.begin('k', { requestId: 'r-1', target: 'bmc-a', action: 'off' }, ok);
    expect(store.begin('k', { requestId: 'r-1', target: 'bmc-b', action: 'off' }, ok)).toEqual({
      kind: 'conflict',
      first: { target: 'bmc-a', action: 'off' },
    });
    expect(store.begin('k', { requestId: 'r-1', target: 'bmc-a', action: 'on' }, ok).kind).toBe(
      'conflict',
    );
  });

  it('never holds more than its bound; past it, drops the oldest answer only once it is out of the replay window', async () => {
    // Prepare: a store of 8, filled a second apart, every answer kept for 15 minutes.
    const clock = new FakeClock();
    const store = new IdempotencyStore(clock, 900_000, 8);
    const sizes: number[] = [];
    for (let n = 0; n < 8; n++) {
      await outcomeOf(store.begin('k', { requestId: `r-${n}`, target: 't', action: 'status' }, ok));
      sizes.push(store.size);
      clock.advance(1000);
    }
    // Act + Assess: within the window nothing may go, so a new requestId is refused, not run.
    let runs = 0;
    const counted = () => {
      runs++;
      return ok();
    };
    expect(store.begin('k', { requestId: 'r-8', target: 't', action: 'status' }, counted)).toEqual({
      kind: 'full',
    });
    // A known requestId is still answered (replayed) when full.
    expect(
      store.begin('k', { requestId: 'r-3', target: 't', action: 'status' }, counted).kind,
    ).toBe('replayed');
    // Past the window of the oldest, it goes (before its 15 minutes), and only it.
    clock.advance(replayWindowMs - 8000 + 1);
    await outcomeOf(store.begin('k', { requestId: 'r-8', target: 't', action: 'status' }, counted));
    sizes.push(store.size);
    expect(store.knows('k', 'r-0')).toBe(false);
    expect(store.knows('k', 'r-1')).toBe(true);
    expect(runs).toBe(1);
    expect(Math.max(...sizes)).toBe(8);
  });

  it('never drops a running action, however old', async () => {
    const clock = new FakeClock();
    const store = new IdempotencyStore(clock, 900_000, 2);
    const never = () => new Promise<ActionOutcome>(() => undefined);
    store.begin('k', { requestId: 'slow-1', target: 't', action: 'off' }, never);
    store.begin('k', { requestId: 'slow-2', target: 't', action: 'off' }, never);
    clock.advance(replayWindowMs * 10);
    expect(store.begin('k', { requestId: 'r', target: 't', action: 'status' }, ok).kind).toBe(
      'full',
    );
    expect(store.begin('k', { requestId: 'slow-1', target: 't', action: 'off' }, ok).kind).toBe(
      'joined',
    );
  });
});

describe('an answer the relay dropped cannot be replayed', () => {
  const secret = Buffer.alloc(32, 7).toString('base64');
  const offs: number[] = [];
  const executor: PowerExecutor = {
    description: 'counting',
    callTimeoutMs: 5000,
    powerOff: async () => {
      offs.push(1);
    },
    powerOn: async () => undefined,
    powerState: async () => ({ state: offs.length > 0 ? 'off' : 'on' }),
  };

  function service(clock: FakeClock): ActionService {
    const yaml = relayYaml.parse({
      pull: { url: 'http://127.0.0.1:9/api', keyName: 'site1', key: { secretRef: 'env:KEY' } },
      targets: { bmc: { ipmi: { host: 'h', user: 'u', password: { secretRef: 'env:PW' } } } },
    });
    const config = resolveRelayConfig(yaml, '/tmp/relay.yaml', { KEY: secret, PW: 'x' });
    const quiet = new Writable({ write: (_chunk, _enc, done) => done() });
    return new ActionService(config, {
      clock,
      runner: createProcessRunner(),
      logger: createRelayLogger(quiet),
      childEnv: {},
      executorFor: () => executor,
    });
  }

  const signed = (clock: FakeClock, body: Record<string, unknown>) => {
    const text = JSON.stringify(body);
    const headers = signRequest({
      keyId: 'site1',
      secret,
      method: 'POST',
      pathWithQuery: '/v1/actions',
      body: text,
      nowMs: clock.now(),
    });
    return { method: 'POST', pathWithQuery: '/v1/actions', headers, body: Buffer.from(text) };
  };

  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (err: unknown) => (err instanceof ProblemError ? err.problem.code : String(err)),
    );

  it('a copy of a request whose answer went is stale (401), and nothing acts again', async () => {
    // Prepare: one power-off, then a copy of it within the window (the nonce store refuses it).
    const clock = new FakeClock();
    const relay = service(clock);
    const off = signed(clock, {
      requestId: 'fence-1',
      target: 'bmc',
      action: 'off',
      deadlineMs: 5000,
    });
    expect((await relay.handle(off)).status).toBe(200);
    clock.advance(10_000);
    expect(await refusal(relay.handle(off))).toBe('replayed');

    // Act: past the window, the store fills up with status reads and drops the power-off's answer.
    clock.advance(replayWindowMs);
    let status = 0;
    for (let n = 0; n < maxIdempotencyEntries; n++) {
      const read = { requestId: `read-${n}`, target: 'bmc', action: 'status', deadlineMs: 3000 };
      status = (await relay.handle(signed(clock, read))).status;
    }
    expect(status).toBe(200);

    // Assess: the copy is refused as stale by its timestamp, and the device saw one power-off …
    expect(await refusal(relay.handle(off))).toBe('unauthenticated');
    expect(offs).toHaveLength(1);
    // … although its answer is gone: a fresh request naming that requestId is not answered
    // from it (replayed) but refused, the store being full of answers within their window.
    const again = signed(clock, {
      requestId: 'fence-1',
      target: 'bmc',
      action: 'off',
      deadlineMs: 5000,
    });
    expect(await refusal(relay.handle(again))).toBe('unavailable');
    expect(offs).toHaveLength(1);
  });

  it('refuses a new action (503, retryable) rather than forget an answer within the window', async () => {
    const clock = new FakeClock();
    const relay = service(clock);
    for (let n = 0; n < maxIdempotencyEntries; n++) {
      const read = { requestId: `read-${n}`, target: 'bmc', action: 'status', deadlineMs: 3000 };
      await relay.handle(signed(clock, read));
    }
    const one = { requestId: 'one-more', target: 'bmc', action: 'status', deadlineMs: 3000 };
    const refused = await relay.handle(signed(clock, one)).then(
      () => undefined,
      (err: unknown) => (err instanceof ProblemError ? err.problem : undefined),
    );
    expect(refused).toMatchObject({ code: 'unavailable', status: 503, retryable: true });
  });
});
