import type { ClusterView, Incident } from '../core/protocol/api.ts';
import type { NodePowerReading, ReadinessView } from '../core/protocol/readiness.ts';
import type { ApiAnswer, ApiClient } from './apiClient.ts';
import { requestUntil, unreadable } from './retry.ts';

/** An API answer that was not the success the caller needed; carries the problem code. */
export class ApiProblem extends Error {
  readonly code: string;
  constructor(
    readonly status: number,
    body: unknown,
  ) {
    const problem = body as { code?: string; detail?: string } | undefined;
    super(`${status} ${problem?.code ?? 'error'}: ${problem?.detail ?? JSON.stringify(body)}`);
    this.name = 'ApiProblem';
    this.code = problem?.code ?? `http-${status}`;
  }
}

/** Thrown for a 200 whose body is not what the route answers (e.g. a proxy's own page). */
export class UnreadableAnswer extends Error {
  readonly code = 'unreadable-answer';
  constructor(answer: ApiAnswer) {
    super(unreadable(answer));
    this.name = 'UnreadableAnswer';
  }
}

function expect200<T>(answer: ApiAnswer, usable: (body: unknown) => boolean): T {
  if (answer.status !== 200) throw new ApiProblem(answer.status, answer.body);
  if (!answer.json || !usable(answer.body)) throw new UnreadableAnswer(answer);
  return answer.body as T;
}

/**
 * One request, or (with a deadline) retried until a usable answer or the deadline: a caller
 * with a time budget (fence_fencer) gets every retry that budget allows.
 */
function call(
  client: ApiClient,
  request: { method: 'GET' | 'POST'; path: string; body?: unknown },
  usable: (body: unknown) => boolean,
  deadline: number | undefined,
): Promise<ApiAnswer> {
  return deadline === undefined
    ? client.request(request.method, request.path, request.body)
    : requestUntil(client, deadline, request, usable);
}

const isObject = (body: unknown): body is Record<string, unknown> =>
  typeof body === 'object' && body !== null && !Array.isArray(body);
const isClusterView = (body: unknown) =>
  isObject(body) &&
  Array.isArray(body.nodes) &&
  body.nodes.every((n) => isObject(n) && typeof n.name === 'string' && typeof n.state === 'string');
const isIncidentList = (body: unknown) => isObject(body) && Array.isArray(body.incidents);
const isPowerReading = (body: unknown) =>
  isObject(body) &&
  typeof body.node === 'string' &&
  ['on', 'off', 'unknown'].includes(body.powerState as string) &&
  typeof body.detail === 'string';
const isReadinessView = (body: unknown) => isObject(body) && Array.isArray(body.nodes);
const isUnfenceAnswer = (body: unknown) => isObject(body) && typeof body.node === 'string';

const clusterPath = (cluster: string) => `/v1/clusters/${encodeURIComponent(cluster)}`;

export async function getCluster(
  client: ApiClient,
  cluster: string,
  deadline?: number,
): Promise<ClusterView> {
  const request = { method: 'GET', path: clusterPath(cluster) } as const;
  return expect200(await call(client, request, isClusterView, deadline), isClusterView);
}

/**
 * The node's power read now at its devices (`GET .../nodes/{node}/power`), answered within
 * `timeoutSeconds` by the server; the request is retried until `deadline` like any read.
 */
export async function getNodePower(
  client: ApiClient,
  cluster: string,
  node: string,
  timeoutSeconds: number,
  deadline?: number,
): Promise<NodePowerReading> {
  const path = `${clusterPath(cluster)}/nodes/${encodeURIComponent(node)}/power?timeoutSeconds=${timeoutSeconds}`;
  const request = { method: 'GET', path } as const;
  return expect200(await call(client, request, isPowerReading, deadline), isPowerReading);
}

export async function getReadiness(
  client: ApiClient,
  cluster: string,
  deadline?: number,
): Promise<ReadinessView> {
  const request = { method: 'GET', path: `${clusterPath(cluster)}/readiness` } as const;
  return expect200(await call(client, request, isReadinessView, deadline), isReadinessView);
}

export async function listIncidents(
  client: ApiClient,
  cluster: string,
  limit: number,
): Promise<Incident[]> {
  return expect200<{ incidents: Incident[] }>(
    await client.request('GET', `${clusterPath(cluster)}/incidents?limit=${limit}`),
    isIncidentList,
  ).incidents;
}

export interface UnfenceAnswer {
  cluster: string;
  node: string;
  state: 'member';
  previous: string;
  powerOn?: { ok: boolean; detail: string };
}

export async function unfenceNode(
  client: ApiClient,
  cluster: string,
  node: string,
  powerOn: boolean,
  deadline?: number,
): Promise<UnfenceAnswer> {
  // Unfencing is idempotent (a member stays a member; powering on an on node changes nothing),
  // so a retry after a lost answer is safe.
  const request = {
    method: 'POST',
    path: `${clusterPath(cluster)}/nodes/${encodeURIComponent(node)}/unfence`,
    body: powerOn ? { powerOn: true } : {},
  } as const;
  return expect200(await call(client, request, isUnfenceAnswer, deadline), isUnfenceAnswer);
}
