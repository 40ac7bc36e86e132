import { z } from 'zod';
import type { RelayActionResult } from '../drivers/relayActions.ts';
import { ProblemError } from '../protocol/problems.ts';
import { type PulledAction, type RelayPollAnswer, relayResultBody } from '../protocol/relay.ts';
import { authenticateRelay } from './authenticate.ts';
import { intParam } from './reads.ts';
import { json, parseJsonBody } from './responses.ts';
import type { ApiContext, ApiRequest, ApiResponse } from './types.ts';

/**
 * `POST /v1/relays/{relay}/poll?waitSeconds=N` (0-25, default 0), body empty or `{}`: the
 * relay's pending actions as soon as there are any, each with the headers and exact body Fencer
 * signed; none when the time is up (or a newer poll of the same relay took over).
 */
export async function postRelayPoll(
  ctx: ApiContext,
  request: ApiRequest,
  relay: string,
  query: URLSearchParams,
): Promise<ApiResponse> {
  await authenticateRelay(ctx, request, relay);
  parseJsonBody(request.body, z.strictObject({}), true);
  const waitSeconds = intParam(query, 'waitSeconds', 0, 25) ?? 0;
  const actions = await ctx.relayMailbox.poll(relay, waitSeconds * 1000);
  const answer: RelayPollAnswer = {
    actions: actions.map((a) => ({ headers: a.headers as PulledAction['headers'], body: a.body })),
  };
  return json(200, answer);
}

/**
 * `POST /v1/relays/{relay}/results`: the relay's answer to one of its actions → 204 (a repeat
 * of an answer already stored changes nothing and is 204 too: the relay may retry a post whose
 * 204 it lost). A requestId never issued to this relay is 404 `not-found`.
 */
export async function postRelayResult(
  ctx: ApiContext,
  request: ApiRequest,
  relay: string,
): Promise<ApiResponse> {
  await authenticateRelay(ctx, request, relay);
  const body = parseJsonBody(request.body, relayResultBody);
  // The 200 form is kept as the exact text the relay sent: the driver judges it as push mode would.
  const result: RelayActionResult =
    'problem' in body && typeof body.status === 'number'
      ? { status: body.status, body: JSON.stringify(body.problem) }
      : { status: 200, body: Buffer.from(request.body).toString('utf8') };
  const outcome = await ctx.relayMailbox.answer(relay, body.requestId, result);
  if (outcome === 'unknown') {
    throw new ProblemError(
      'not-found',
      `no action with requestId ${body.requestId} was issued to relay ${relay}`,
    );
  }
  return { status: 204, headers: {} };
}
