import { describe, expect, it } from 'vitest';
import type { PowerState } from '../../core/protocol/power.ts';
import type { RelayActionRequest } from '../../core/protocol/relay.ts';
import { ExecError } from '../../relay-agent/errors.ts';
import type { CallContext, PowerExecutor } from '../../relay-agent/executors/types.ts';
import { type ActionOutcome, runAction } from '../../relay-agent/runAction.ts';
import { FakeClock } from '../support/fakeClock.ts';

/** A scripted device: each call takes `callMs` of virtual time and does what the script says. */
function fakeExecutor(
  clock: FakeClock,
  script: {
    off?: (n: number) => void;
    state?: (n: number) => PowerState;
    callMs?: number;
    callTimeoutMs?: number;
  },
) {
  const calls: { what: string; at: number; timeoutMs: number }[] = [];
  let offs = 0;
  let reads = 0;
  const step = async (what: string, call: CallContext) => {
    calls.push({ what, at: clock.now(), timeoutMs: call.timeoutMs });
    await clock.sleep(script.callMs ?? 30);
    call.record({ command: what, startedAt: '', elapsedMs: 30, ok: true, detail: '' });
  };
  const executor: PowerExecutor = {
    description: 'fake',
    callTimeoutMs: script.callTimeoutMs ?? 5000,
    async powerOff(call) {
      await step('off', call);
      script.off?.(offs++);
    },
    async powerOn(call) {
      await step('on', call);
    },
    async powerState(call) {
      await step('status', call);
      return { state: script.state?.(reads++) ?? 'on' };
    },
  };
  return { executor, calls };
}

const request = (action: RelayActionRequest['action'], deadlineMs = 5000): RelayActionRequest => ({
  requestId: 'r-1',
  target: 'bmc-a',
  action,
  deadlineMs,
});

function expectAnswer(outcome: ActionOutcome) {
  if (!outcome.ok) throw new Error(`expected an answer, got ${JSON.stringify(outcome.problem)}`);
  return outcome.response;
}

function expectProblem(outcome: ActionOutcome) {
  if (outcome.ok) throw new Error(`expected a problem, got ${JSON.stringify(outcome.response)}`);
  return outcome.problem;
}

describe('runAction', () => {
  it('verifies an off by polling status until the device says off', async () => {
    // Prepare
    const clock = new FakeClock();
    const { executor, calls } = fakeExecutor(clock, { state: (n) => (n < 3 ? 'on' : 'off') });
    // Act
    const answer = expectAnswer(await clock.run(runAction(request('off'), executor, clock)));
    // Assess
    expect(answer).toMatchObject({ powerState: 'off', verified: true, action: 'off' });
    expect(calls.map((c) => c.what)).toEqual(['off', 'status', 'status', 'status', 'status']);
    // First read at once, then from 100 ms apart, growing.
    const gaps = calls.slice(2).map((c, i) => c.at - (calls[i + 1]?.at ?? 0) - 30);
    expect(gaps).toEqual([100, 150, 225]);
    expect(answer.steps).toHaveLength(5);
  });

  it('retries a busy device and still verifies within the deadline', async () => {
    const clock = new FakeClock();
    const { executor, calls } = fakeExecutor(clock, {
      off: (n) => {
        if (n < 2) throw new ExecError('busy', 'BMC busy: Node busy');
      },
      state: () => 'off',
    });
    const answer = expectAnswer(await clock.run(runAction(request('off'), executor, clock)));
    expect(answer.verified).toBe(true);
    expect(calls.filter((c) => c.what === 'off')).toHaveLength(3);
  });

  it('answers verified:false with the last state when a hung device never turns off', async () => {
    const clock = new FakeClock();
    const { executor } = fakeExecutor(clock, { state: () => 'on' });
    const started = clock.now();
    const answer = expectAnswer(await clock.run(runAction(request('off', 3000), executor, clock)));
    expect(answer).toMatchObject({ powerState: 'on', verified: false });
    // Answered before the caller's deadline, keeping a margin for the network.
    expect(clock.now() - started).toBeLessThanOrEqual(3000);
    expect(clock.now() - started).toBeGreaterThan(2000);
  });

  it('gives every call only what is left of the deadline', async () => {
    const clock = new FakeClock();
    const { executor, calls } = fakeExecutor(clock, { state: () => 'on', callTimeoutMs: 5000 });
    await clock.run(runAction(request('off', 2000), executor, clock));
    expect(calls[0]?.timeoutMs).toBeLessThanOrEqual(2000);
    const last = calls.at(-1);
    expect((last?.at ?? 0) - (calls[0]?.at ?? 0) + (last?.timeoutMs ?? 0)).toBeLessThanOrEqual(
      2000,
    );
  });

  it('fails at once on an error no retry can fix (execution-failed, not retryable)', async () => {
    const clock = new FakeClock();
    const { executor, calls } = fakeExecutor(clock, {
      off: () => {
        throw new ExecError('auth', 'BMC refused the credentials (RAKP 2 HMAC is invalid)');
      },
    });
    const started = clock.now();
    const problem = expectProblem(await clock.run(runAction(request('off'), executor, clock)));
    expect(problem).toMatchObject({
      code: 'execution-failed',
      status: 502,
      retryable: false,
      reason: 'auth',
    });
    expect(calls).toHaveLength(1);
    expect(clock.now() - started).toBeLessThan(100);
  });

  it('gives up with deadline-exceeded when transient errors last until the deadline', async () => {
    const clock = new FakeClock();
    const { executor, calls } = fakeExecutor(clock, {
      off: () => {
        throw new ExecError('unreachable', 'BMC unreachable');
      },
    });
    const started = clock.now();
    const problem = expectProblem(
      await clock.run(runAction(request('off', 4000), executor, clock)),
    );
    expect(problem).toMatchObject({ code: 'deadline-exceeded', status: 504, retryable: true });
    expect(clock.now() - started).toBeLessThanOrEqual(4000);
    expect(calls.length).toBeGreaterThan(3);
    expect(problem['steps']).toHaveLength(calls.length);
  });

  it.each([
    [
      'a spawn that ran out of file descriptors',
      new ExecError('resources', 'spawn ipmitool EMFILE'),
    ],
    [
      'an EMFILE from a temporary file',
      Object.assign(new Error('EMFILE: too many open files, mkdtemp'), { code: 'EMFILE' }),
    ],
  ])('answers %s at once as a retryable execution-failed', async (_what, error) => {
    const clock = new FakeClock();
    const { executor, calls } = fakeExecutor(clock, {
      off: () => {
        throw error;
      },
    });
    const started = clock.now();
    const problem = expectProblem(await clock.run(runAction(request('off'), executor, clock)));
    expect(problem).toMatchObject({
      code: 'execution-failed',
      status: 502,
      reason: 'resources',
      retryable: true,
    });
    expect(calls).toHaveLength(1);
    expect(clock.now() - started).toBeLessThan(100);
  });

  it('reads the state once for status, and only says verified for a known state', async () => {
    const clock = new FakeClock();
    const on = fakeExecutor(clock, { state: () => 'on' });
    const unknown = fakeExecutor(clock, { state: () => 'unknown' });
    expect(
      expectAnswer(await clock.run(runAction(request('status'), on.executor, clock))),
    ).toMatchObject({
      powerState: 'on',
      verified: true,
    });
    expect(on.calls).toHaveLength(1);
    const answer = expectAnswer(
      await clock.run(runAction(request('status'), unknown.executor, clock)),
    );
    expect(answer).toMatchObject({ powerState: 'unknown', verified: false });
  });

  it('closes the executor whatever happens', async () => {
    const clock = new FakeClock();
    const { executor } = fakeExecutor(clock, {
      off: () => {
        throw new ExecError('not-found', 'no VM with name "x"');
      },
    });
    let closed = 0;
    executor.close = async () => {
      closed++;
    };
    await clock.run(runAction(request('off'), executor, clock));
    expect(closed).toBe(1);
  });
});
