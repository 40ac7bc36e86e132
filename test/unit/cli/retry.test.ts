import { describe, expect, it } from 'vitest';
import { type ApiAnswer, TransportError } from '../../../cli/apiClient.ts';
import { failure } from '../../../cli/httpExchange.ts';
import { httpFailure, oneLine, retryUntil, Unanswered, unreadable } from '../../../cli/retry.ts';
import { FakeClock } from '../../support/fakeClock.ts';

const answer = (status: number, body: unknown, json: boolean, type = 'text/html'): ApiAnswer => ({
  status,
  body,
  json,
  headers: new Headers({ 'content-type': type }),
});

describe('retryUntil', () => {
  it('keeps trying for as long as the deadline allows, with backoff capped at 5 s', async () => {
    // Prepare
    const clock = new FakeClock();
    const start = clock.now();
    const tries: number[] = [];
    // Act
    const outcome = clock.run(
      retryUntil(clock, start + 60_000, async () => {
        tries.push(clock.now() - start);
        throw new TransportError('POST u: connection refused (ECONNREFUSED)', true);
      }),
    );
    // Assess
    await expect(outcome).rejects.toThrow(
      /^POST u: connection refused \(ECONNREFUSED\) \(\d+ attempts\)$/,
    );
    expect(tries.slice(0, 6)).toEqual([0, 250, 750, 1750, 3750, 7750]);
    // Not ~8 s and done: the last try is within a backoff step of the deadline.
    expect(tries.at(-1)).toBeGreaterThan(60_000 - 5_000);
    expect(tries.at(-1)).toBeLessThanOrEqual(60_000);
  });

  it('returns the first usable value; a non-retryable failure ends at once', async () => {
    const clock = new FakeClock();
    let n = 0;
    const value = await clock.run(
      retryUntil(clock, clock.now() + 10_000, async () =>
        ++n < 3 ? { retry: 'HTTP 502 (text/html)' } : 'answer',
      ),
    );
    expect({ value, n }).toEqual({ value: 'answer', n: 3 });
    const tls = clock.run(
      retryUntil(clock, clock.now() + 10_000, async () => {
        throw new TransportError(
          'GET u: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)',
          false,
        );
      }),
    );
    await expect(tls).rejects.toBeInstanceOf(Unanswered);
    await expect(tls).rejects.toThrow(/\(1 attempt\)$/);
  });

  it('names the last real failure when the deadline cut the final attempt short', async () => {
    const clock = new FakeClock();
    let n = 0;
    const outcome = clock.run(
      retryUntil(clock, clock.now() + 1_000, async () => {
        if (++n === 1) return { retry: 'GET u: HTTP 502 (text/html: 502 Bad Gateway)' };
        throw new TransportError('GET u: no answer within 0.2 s', true, { cutShort: true });
      }),
    );
    await expect(outcome).rejects.toThrow('GET u: HTTP 502 (text/html: 502 Bad Gateway) (');
  });

  it('makes one attempt even when start-up used the whole budget, and says so', async () => {
    const clock = new FakeClock();
    const deadline = clock.now() - 500;
    const given: number[] = [];
    const outcome = clock.run(
      retryUntil(clock, deadline, async (attemptDeadline) => {
        given.push(attemptDeadline - clock.now());
        throw new TransportError('POST u: connection refused (ECONNREFUSED)', true);
      }),
    );
    await expect(outcome).rejects.toThrow(
      'POST u: connection refused (ECONNREFUSED) (1 attempt, the first after the deadline)',
    );
    expect(given).toEqual([1_000]);
  });

  it('lets other errors (bugs) through unchanged', async () => {
    const clock = new FakeClock();
    await expect(
      clock.run(
        retryUntil(clock, clock.now() + 10_000, async () => {
          throw new TypeError('boom');
        }),
      ),
    ).rejects.toBeInstanceOf(TypeError);
  });
});

describe('reasons in one line', () => {
  it('names HTTP failures by problem code, or by the words of a proxy page', () => {
    expect(
      httpFailure(answer(503, { code: 'unavailable', detail: 'storage\nis down' }, true)),
    ).toBe('HTTP 503 unavailable: storage is down');
    expect(
      httpFailure(
        answer(502, '<html><title>502 Bad Gateway</title><center>nginx</center></html>', false),
      ),
    ).toBe('HTTP 502 (text/html: 502 Bad Gateway nginx)');
    expect(unreadable(answer(200, '{"nodes": [', false, 'application/json'))).toBe(
      'unreadable answer (HTTP 200, not JSON: {"nodes": [)',
    );
    expect(unreadable(answer(202, undefined, true))).toBe('unreadable answer (HTTP 202, empty)');
  });

  it('maps socket errors to plain words, and keeps control characters and length out', () => {
    const hangUp = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(failure(hangUp)).toMatchObject({
      reason: 'connection closed before an answer',
      retryable: true,
    });
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(failure(refused).reason).toBe('connection refused (ECONNREFUSED)');
    const cert = Object.assign(new Error('certificate has expired'), { code: 'CERT_HAS_EXPIRED' });
    expect(failure(cert)).toMatchObject({ retryable: false });
    expect(oneLine(`a\u0000b\r\n\tc ${'x'.repeat(600)}`)).toMatch(/^a b c x+\.\.\.$/);
    expect(oneLine('x'.repeat(600))).toHaveLength(500);
    expect(unreadable(answer(200, `<p>${'x'.repeat(600)}`, false))).toHaveLength(
      'unreadable answer (HTTP 200, not JSON: )'.length + 120,
    );
  });
});
