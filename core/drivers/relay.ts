import { createHash, randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { signRequest } from '../auth/signing.ts';
import { isPullRelay, type RelayConfig, type relayOptions } from '../config/schema.ts';
import { DriverError, errorMessage } from '../errors.ts';
import { own } from '../names.ts';
import type { PowerState } from '../protocol/power.ts';
import type { RelayActionRequest, RelayActionResponse } from '../protocol/relay.ts';
import type { DriverFactoryContext } from './registry.ts';
import { parseAnswer } from './relayErrors.ts';
import { pullTransport } from './relayPull.ts';
import { pushTransport, type RelayTransport } from './relayTransport.ts';
import type { DriverCheck, FenceDriver, FenceTarget } from './types.ts';

/**
 * How long the relay may take per action (`deadlineMs`), and the extra time the HTTP call
 * gets on top for the network. The relay answers within `deadlineMs` (it keeps a margin), so a
 * slow device shows as a relay answer (`verified: false`, 504), not as a client timeout. Keep
 * `offDeadlineMs + networkMarginMs` well below a level's timeout, so the engine's retries fit.
 */
export interface RelayTiming {
  offDeadlineMs: number;
  onDeadlineMs: number;
  statusDeadlineMs: number;
  networkMarginMs: number;
}

/** The relay protocol's smallest deadlineMs. */
const minDeadlineMs = 100;

export const defaultRelayTiming: RelayTiming = {
  offDeadlineMs: 20_000,
  onDeadlineMs: 30_000,
  statusDeadlineMs: 8_000,
  networkMarginMs: 2_000,
};

/**
 * The Function side of a relay: a signed action (`POST /v1/actions`), delivered by the relay's
 * transport — HTTPS to the relay (push), or the relay's mailbox that it polls (pull) — and its
 * answer mapped to a power state. Every failure is a DriverError: a relay that is down or slow
 * is retryable (the engine retries, then moves to the next level); a wrong key, an unknown
 * target or an untrusted certificate is not. Both modes share everything but the transport.
 */
export function createRelayDriver(
  options: z.infer<typeof relayOptions>,
  ctx: DriverFactoryContext,
  timing: RelayTiming = defaultRelayTiming,
): FenceDriver {
  const relay: RelayConfig | undefined = own(ctx.relays, options.relay);
  if (!relay) {
    throw new DriverError('relay-unknown', `relay ${options.relay} is not defined under relays`);
  }
  const label = `relay ${options.relay}/${options.target}`;
  const transport: RelayTransport = isPullRelay(relay)
    ? pullTransport(options.relay, label, ctx.relayMailbox, ctx.clock)
    : pushTransport({ url: relay.url ?? '', ca: relay.ca }, label, ctx.baseDir);
  let secret: string | undefined;
  const counters = new Map<string, number>();

  /** The secret is read on first use, so a broken reference fails the call, not the load. */
  const signingSecret = (): string => {
    try {
      secret ??= ctx.secret(relay.key.secretRef);
      return secret;
    } catch (err) {
      throw new DriverError('relay-config', `${label}: ${errorMessage(err)}`, { cause: err });
    }
  };

  /**
   * Power commands reuse `attempt:target:action:n`, so a redelivered attempt gets the first
   * answer instead of acting twice. Status reads get a fresh id each: a status answer must
   * never be replayed from an earlier read.
   */
  const requestIdFor = (target: FenceTarget, action: RelayActionRequest['action']): string => {
    const stem = safeId(`${target.attemptId}:${options.target}`);
    if (action === 'status') return `${stem}:status:${randomBytes(6).toString('hex')}`;
    const key = `${stem}:${action}`;
    const n = (counters.get(key) ?? 0) + 1;
    counters.set(key, n);
    if (counters.size > 500) counters.delete(counters.keys().next().value ?? key);
    return `${key}:${n}`;
  };

  const act = async (
    target: FenceTarget,
    action: RelayActionRequest['action'],
    signal: AbortSignal,
  ): Promise<RelayActionResponse> => {
    const standard =
      action === 'off'
        ? timing.offDeadlineMs
        : action === 'on'
          ? timing.onDeadlineMs
          : timing.statusDeadlineMs;
    // The relay must answer before the engine gives up on this level, so its answer (what it
    // saw at the device) reaches the attempt, and it stops working on a level we left.
    const left =
      target.deadlineAt === undefined
        ? standard
        : target.deadlineAt - ctx.clock.now() - timing.networkMarginMs;
    const deadlineMs = Math.max(minDeadlineMs, Math.min(standard, left));
    const request: RelayActionRequest = {
      requestId: requestIdFor(target, action),
      target: options.target,
      action,
      deadlineMs,
    };
    const body = JSON.stringify(request);
    const headers = signRequest({
      keyId: relay.keyName,
      secret: signingSecret(),
      method: 'POST',
      pathWithQuery: '/v1/actions',
      body,
      nowMs: ctx.clock.now(),
    });
    const timeoutMs = deadlineMs + timing.networkMarginMs;
    const response = await transport.send({ request, body, headers, timeoutMs }, signal);
    return parseAnswer(label, response, request);
  };

  const command = async (target: FenceTarget, action: 'off' | 'on', signal: AbortSignal) => {
    const answer = await act(target, action, signal);
    // An off the relay delivered but has not seen take effect yet is not an error: the engine
    // polls the power state next (DESIGN: powerOff does not wait). Sending it again would only
    // give a slow BMC a second power-off.
    if (!answer.verified && !(action === 'off' && answer.powerState !== 'unknown')) {
      throw new DriverError(
        'relay-not-verified',
        `${label}: ${action} sent, but the relay saw ${answer.powerState} after ${answer.elapsedMs} ms (${lastStep(answer)})`,
        { retryable: true },
      );
    }
  };

  return {
    kind: 'relay',
    description: label,
    powerOff: (target, signal) => command(target, 'off', signal),
    powerOn: (target, signal) => command(target, 'on', signal),
    async powerState(target, signal): Promise<PowerState> {
      return (await act(target, 'status', signal)).powerState;
    },
    async check(target, signal): Promise<DriverCheck[]> {
      const checks: DriverCheck[] = [];
      try {
        const reachable = await transport.reachable(signal);
        checks.push(reachable);
        if (!reachable.ok) return checks;
        const state = await act(target, 'status', signal);
        const readable = state.powerState !== 'unknown';
        const why = state.detail ? `: ${state.detail}` : '';
        checks.push({
          name: 'power state readable',
          ok: readable,
          powerState: state.powerState,
          detail: `${options.target} is ${state.powerState}${why} (${state.elapsedMs} ms)`,
          ...(readable
            ? {}
            : {
                fix: state.detail
                  ? `fix target ${options.target} in the relay's relay.yaml as the detail says`
                  : `check target ${options.target} at the relay (its log has every step)`,
              }),
        });
      } catch (err) {
        checks.push({
          name: 'relay call',
          ok: false,
          detail: errorMessage(err),
          fix: isPullRelay(relay)
            ? `check relays.${options.relay}.key against the relay.yaml pull key, and its targets`
            : 'check relays.<name> (url, keyName, key, ca) against the relay.yaml keys and targets',
        });
      }
      return checks;
    },
  };
}

/**
 * requestIds are `[A-Za-z0-9._:-]{1,128}`: the stem keeps at most 96 of them (a long one is
 * shortened with a hash of the whole), leaving room for `:status:<12 hex>`.
 */
export function safeId(stem: string): string {
  const cleaned = stem.replace(/[^A-Za-z0-9._:-]/g, '_');
  if (cleaned.length <= 96) return cleaned;
  return `${cleaned.slice(0, 63)}.${createHash('sha256').update(stem).digest('hex').slice(0, 32)}`;
}

function lastStep(answer: RelayActionResponse): string {
  const step = answer.steps?.at(-1);
  return step ? `${step.command}: ${step.detail}` : 'no steps';
}
