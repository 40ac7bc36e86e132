import type { ClusterView, Incident } from '../core/protocol/api.ts';
import type { ApiAnswer, ApiClient } from './apiClient.ts';

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

function expect200<T>(answer: ApiAnswer): T {
  if (answer.status !== 200) throw new ApiProblem(answer.status, answer.body);
  return answer.body as T;
}

const clusterPath = (cluster: string) => `/v1/clusters/${encodeURIComponent(cluster)}`;

export async function getCluster(client: ApiClient, cluster: string): Promise<ClusterView> {
  return expect200(await client.request('GET', clusterPath(cluster)));
}

export async function listIncidents(
  client: ApiClient,
  cluster: string,
  limit: number,
): Promise<Incident[]> {
  return expect200<{ incidents: Incident[] }>(
    await client.request('GET', `${clusterPath(cluster)}/incidents?limit=${limit}`),
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
): Promise<UnfenceAnswer> {
  const path = `${clusterPath(cluster)}/nodes/${encodeURIComponent(node)}/unfence`;
  return expect200(await client.request('POST', path, powerOn ? { powerOn: true } : {}));
}
