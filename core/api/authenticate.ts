import { type Principal, principalOf, verifySignedRequest } from '../auth/verify.ts';
import { hasOwnName } from '../names.ts';
import { ProblemError } from '../protocol/problems.ts';
import type { ApiContext, ApiRequest } from './types.ts';

/**
 * Who a route lets in (DESIGN "Request signing"):
 * - `node`: a node key of the cluster in the path (reports);
 * - `read`: a node key of that cluster, a viewer or an admin (every cluster GET);
 * - `admin`: an admin key (unfence).
 * A key used outside its routes is 403 `forbidden` (a relay key on any cluster route included).
 */
type Who = 'node' | 'read' | 'admin';

/** Verifies the signature and who may do what; the cluster must exist (404 otherwise). */
export async function authenticate(
  ctx: ApiContext,
  request: ApiRequest,
  cluster: string,
  who: Who,
): Promise<Principal> {
  const principal = await signedBy(ctx, request);
  const allowed =
    principal.kind === 'node'
      ? who !== 'admin' && principal.cluster === cluster
      : principal.kind === 'admin'
        ? who !== 'node'
        : principal.kind === 'viewer' && who === 'read';
  if (!allowed) throw new ProblemError('forbidden', refusal(principal, who, cluster));
  if (!hasOwnName(ctx.config.clusters, cluster))
    throw new ProblemError('unknown-cluster', `cluster ${cluster} is not configured`);
  return principal;
}

/** For routes over every cluster (`GET /v1/clusters`): viewers and admins only. */
export async function authenticateReader(ctx: ApiContext, request: ApiRequest): Promise<Principal> {
  const principal = await signedBy(ctx, request);
  if (principal.kind !== 'viewer' && principal.kind !== 'admin')
    throw new ProblemError('forbidden', 'this route needs a viewer or an admin key');
  return principal;
}

/**
 * For a pull-mode relay's routes (`/v1/relays/{relay}/...`): that relay's own key only. Any
 * other key, another relay's included, is 403; a key id `relay/NAME` exists only for pull relays.
 */
export async function authenticateRelay(
  ctx: ApiContext,
  request: ApiRequest,
  relay: string,
): Promise<void> {
  const principal = await signedBy(ctx, request);
  if (principal.kind !== 'relay')
    throw new ProblemError('forbidden', 'this route needs the key of the relay in the path');
  if (principal.name !== relay)
    throw new ProblemError(
      'forbidden',
      `the key of relay ${principal.name} cannot use ${relay}'s routes`,
    );
}

function signedBy(ctx: ApiContext, request: ApiRequest): Promise<Principal> {
  return verifySignedRequest(request, {
    nowMs: ctx.clock.now(),
    secretOf: (id) => ctx.loaded.keys.get(id),
    nonces: ctx.replay,
  }).then(principalOf);
}

function refusal(principal: Principal, who: Who, cluster: string): string {
  if (who === 'node') return 'reports are signed by a node key (the reporter is the key)';
  if (who === 'admin') return 'this route needs an admin key';
  if (principal.kind === 'node')
    return `a key of cluster ${principal.cluster} cannot read ${cluster}`;
  return `a ${principal.kind} key cannot use this route`;
}
