import {
  app,
  type HttpRequest,
  type HttpResponseInit,
  type InvocationContext,
} from '@azure/functions';
import { handleApiRequest } from '../core/api/router.ts';
import { maxBodyBytes } from '../core/protocol/api.ts';
import { problem } from '../core/protocol/problems.ts';
import { getRuntime, invocationLog } from './deps.ts';

/** The Functions host's route prefix (host.json `extensions.http.routePrefix`). */
const routePrefix = '/api';

/** One adapter for every API route: HttpRequest → core's ApiRequest → HttpResponseInit. */
export async function apiHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const url = new URL(request.url);
  const length = Number(request.headers.get('content-length') ?? 0);
  if (length > maxBodyBytes)
    return toResponse(413, problem('payload-too-large', `the limit is ${maxBodyBytes} bytes`));
  const body = new Uint8Array(await request.arrayBuffer());
  const runtime = await getRuntime();
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    headers[name.toLowerCase()] = value;
  });
  const path = url.pathname.startsWith(`${routePrefix}/`)
    ? url.pathname.slice(routePrefix.length)
    : url.pathname;
  const response = await handleApiRequest(
    { ...runtime, log: invocationLog(context) },
    { method: request.method, pathWithQuery: path + url.search, headers, body },
  );
  return {
    status: response.status,
    headers: response.headers,
    ...(response.body === undefined ? {} : { body: JSON.stringify(response.body) }),
  };
}

function toResponse(status: number, body: unknown): HttpResponseInit {
  return {
    status,
    headers: { 'content-type': 'application/problem+json; charset=utf-8' },
    body: JSON.stringify(body),
  };
}

// One registration per route of DESIGN.md's HTTP API v1 (all anonymous: requests are HMAC-signed).
const routes = [
  ['health', 'v1/health', ['GET']],
  ['report', 'v1/clusters/{cluster}/reports', ['POST']],
  ['incident', 'v1/clusters/{cluster}/incidents/{incidentId}', ['GET']],
  ['incidents', 'v1/clusters/{cluster}/incidents', ['GET']],
  ['clusters', 'v1/clusters', ['GET']],
  ['clusterReadiness', 'v1/clusters/{cluster}/readiness', ['GET']],
  ['cluster', 'v1/clusters/{cluster}', ['GET']],
  ['unfence', 'v1/clusters/{cluster}/nodes/{node}/unfence', ['POST']],
  // An addition to DESIGN's table (README "Using with Pacemaker", API addition): fence_fencer's `status`.
  ['nodePower', 'v1/clusters/{cluster}/nodes/{node}/power', ['GET']],
  ['relayPoll', 'v1/relays/{relay}/poll', ['POST']],
  ['relayResults', 'v1/relays/{relay}/results', ['POST']],
] as const;

for (const [name, route, methods] of routes) {
  app.http(name, { route, methods: [...methods], authLevel: 'anonymous', handler: apiHandler });
}
