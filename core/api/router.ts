import { FencerError } from '../errors.ts';
import { maxBodyBytes } from '../protocol/api.ts';
import { ProblemError, problem } from '../protocol/problems.ts';
import { getNodePower } from './power.ts';
import { getCluster, getIncident, getReadiness, listClusters, listIncidents } from './reads.ts';
import { postRelayPoll, postRelayResult } from './relayRoutes.ts';
import { postReport } from './reports.ts';
import { json, problemResponse } from './responses.ts';
import type { ApiContext, ApiRequest, ApiResponse } from './types.ts';
import { postUnfence } from './unfence.ts';

type Handler = (
  ctx: ApiContext,
  request: ApiRequest,
  params: string[],
  query: URLSearchParams,
) => Promise<ApiResponse>;

const seg = '([^/]+)';
const routes: { method: string; pattern: RegExp; handler: Handler }[] = [
  {
    method: 'GET',
    pattern: /^\/v1\/health$/,
    handler: health,
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/v1/clusters/${seg}/reports$`),
    handler: (ctx, r, [c = ''], q) => postReport(ctx, r, c, q),
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/v1/clusters/${seg}/incidents/${seg}$`),
    handler: (ctx, r, [c = '', id = ''], q) => getIncident(ctx, r, c, id, q),
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/v1/clusters/${seg}/incidents$`),
    handler: (ctx, r, [c = ''], q) => listIncidents(ctx, r, c, q),
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/v1/clusters/${seg}/readiness$`),
    handler: (ctx, r, [c = '']) => getReadiness(ctx, r, c),
  },
  {
    method: 'GET',
    pattern: /^\/v1\/clusters$/,
    handler: (ctx, r) => listClusters(ctx, r),
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/v1/clusters/${seg}$`),
    handler: (ctx, r, [c = '']) => getCluster(ctx, r, c),
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/v1/clusters/${seg}/nodes/${seg}/unfence$`),
    handler: (ctx, r, [c = '', n = '']) => postUnfence(ctx, r, c, n),
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/v1/clusters/${seg}/nodes/${seg}/power$`),
    handler: (ctx, r, [c = '', n = ''], q) => getNodePower(ctx, r, c, n, q),
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/v1/relays/${seg}/poll$`),
    handler: (ctx, r, [relay = ''], q) => postRelayPoll(ctx, r, relay, q),
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/v1/relays/${seg}/results$`),
    handler: (ctx, r, [relay = '']) => postRelayResult(ctx, r, relay),
  },
];

/** 200 when the ledger answers, 503 `unavailable` when it cannot be read (no detail: public). */
async function health(ctx: ApiContext): Promise<ApiResponse> {
  try {
    await ctx.ledger.health();
    return json(200, { status: 'ok', version: ctx.version });
  } catch (err) {
    ctx.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'ledger unhealthy');
    return json(503, { status: 'unavailable', version: ctx.version }, { 'retry-after': '5' });
  }
}

/**
 * Routes one request of HTTP API v1, and answers only once what it wrote is durable (a 2xx
 * is never sent for a write a crash could lose). Every failure becomes problem+json:
 * ProblemErrors keep their code; storage contention is 503 (retry); anything else is 500.
 */
export async function handleApiRequest(ctx: ApiContext, request: ApiRequest): Promise<ApiResponse> {
  const response = await route(ctx, request);
  try {
    await ctx.ledger.durable();
  } catch (err) {
    ctx.log.error(
      { err: err instanceof Error ? err.message : String(err) },
      'ledger commit failed',
    );
    return problemResponse(problem('unavailable', 'the ledger could not commit; retry'), {
      'retry-after': '1',
    });
  }
  return response;
}

async function route(ctx: ApiContext, request: ApiRequest): Promise<ApiResponse> {
  try {
    if (request.body.byteLength > maxBodyBytes) {
      throw new ProblemError(
        'payload-too-large',
        `the body is ${request.body.byteLength} bytes; the limit is ${maxBodyBytes}`,
      );
    }
    if (!request.pathWithQuery.startsWith('/'))
      throw new ProblemError('not-found', 'paths start with /v1/');
    // Parsed after a fixed origin, never relative to it: `//x/...` or `/\\x/...` would make
    // `x` the host (and `//` alone is no URL at all, which answered 500).
    const url = new URL(`http://fencer.invalid${request.pathWithQuery}`);
    const path = url.pathname;
    const matching = routes.filter((route) => route.pattern.test(path));
    if (matching.length === 0) throw new ProblemError('not-found', `no route ${path}`);
    const route = matching.find((r) => r.method === request.method.toUpperCase());
    if (!route) {
      const allow = matching.map((r) => r.method).join(', ');
      return problemResponse(problem('method-not-allowed', `use ${allow}`), { allow });
    }
    const params = (route.pattern.exec(path)?.slice(1) ?? []).map(decodeSegment);
    return await route.handler(ctx, request, params, url.searchParams);
  } catch (err) {
    if (err instanceof ProblemError) return problemResponse(err.problem);
    if (err instanceof FencerError && err.retryable) {
      ctx.log.warn({ err: err.message, code: err.code }, 'request failed, retryable');
      return problemResponse(problem('unavailable', 'the ledger is busy; retry'), {
        'retry-after': '1',
      });
    }
    ctx.log.error(
      { err: err instanceof Error ? err.stack : String(err), path: request.pathWithQuery },
      'request failed',
    );
    return problemResponse(problem('internal-error', 'internal error; see the server log'));
  }
}

function decodeSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new ProblemError('invalid-request', 'malformed percent-encoding in the path');
  }
}
