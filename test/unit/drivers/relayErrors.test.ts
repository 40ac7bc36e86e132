import { describe, expect, it } from 'vitest';
import { parseAnswer } from '../../../core/drivers/relayErrors.ts';
import { DriverError } from '../../../core/errors.ts';
import type { RelayActionRequest } from '../../../core/protocol/relay.ts';

/**
 * DESIGN invariant 8 at the relay driver: a relay answer that proves nothing (empty, not an
 * action result, an answer to another request, an unverified status) never reads `off`.
 */
const sent: RelayActionRequest = {
  requestId: 'inc-1.1:bmc-b:status:0a1b2c',
  target: 'bmc-b',
  action: 'status',
  deadlineMs: 8000,
};

const answer = (body: unknown, status = 200) => ({
  status,
  data: typeof body === 'string' ? body : JSON.stringify(body),
  headers: {},
});

const result = (extra: Record<string, unknown> = {}) => ({
  requestId: sent.requestId,
  target: sent.target,
  action: sent.action,
  powerState: 'off',
  verified: true,
  elapsedMs: 40,
  steps: [],
  ...extra,
});

function failure(run: () => unknown): DriverError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(DriverError);
    return err as DriverError;
  }
  throw new Error('expected a DriverError');
}

describe('relay answers that prove nothing', () => {
  it('reads a verified off answer to this request as off', () => {
    expect(parseAnswer('relay dc1/bmc-b', answer(result()), sent).powerState).toBe('off');
  });

  it.each([
    ['an empty 200', ''],
    ['an HTML page', '<html>proxy says hello</html>'],
    ['a result without powerState', result({ powerState: undefined })],
    ['a state word that is not on/off/unknown', result({ powerState: 'stopped' })],
    ['a result without verified', result({ verified: undefined })],
  ])('refuses %s as a retryable protocol error', (_what, body) => {
    const err = failure(() => parseAnswer('relay dc1/bmc-b', answer(body), sent));
    expect(err).toMatchObject({ code: 'relay-protocol', retryable: true });
  });

  it.each([
    ['another target', { target: 'bmc-a' }],
    ['another action', { action: 'off' }],
    ['another requestId', { requestId: 'inc-0.1:bmc-b:status:ffffff' }],
  ])('refuses an off answer about %s', (_what, extra) => {
    const err = failure(() => parseAnswer('relay dc1/bmc-b', answer(result(extra)), sent));
    expect(err.code).toBe('relay-protocol');
    expect(err.message).toContain('answered another request');
  });

  it('reads a status the relay did not verify as unknown, whatever state it names', () => {
    const read = parseAnswer('relay dc1/bmc-b', answer(result({ verified: false })), sent);
    expect(read.powerState).toBe('unknown');
  });

  it('keeps the reason the relay gives for an unknown state', () => {
    const detail = 'not-found: world id 99 is not in esxcli vm process list';
    const read = parseAnswer(
      'relay dc1/bmc-b',
      answer(result({ powerState: 'unknown', verified: false, detail })),
      sent,
    );
    expect(read).toMatchObject({ powerState: 'unknown', detail });
  });
});
