import { type Principal, principalOf, verifySignedRequest } from '../auth/verify.ts';
import { hasOwnName } from '../names.ts';
import { ProblemError } from '../protocol/problems.ts';
import type { ApiContext, ApiRequest } from './types.ts';

type Who = 'node' | 'node-or-admin' | 'admin';

/**
 * Verifies the signature, then who may do what: a node key only within its own cluster, an
 * admin key anywhere but only admins on admin routes. The cluster must exist (404 otherwise).
 */
export async function authenticate(
  ctx: ApiContext,
  request: ApiRequest,
  cluster: string,
  who: Who,
): Promise<Principal> {
  const keyId = await verifySignedRequest(request, {
    nowMs: ctx.clock.now(),
    secretOf: (id) => ctx.loaded.keys.get(id),
    nonces: ctx.replay,
  });
  const principal = principalOf(keyId);
  if (principal.kind === 'node') {
    if (who === 'admin') throw new ProblemError('forbidden', 'this route needs an admin key');
    if (principal.cluster !== cluster)
      throw new ProblemError('forbidden', `key ${keyId} is not a key of cluster ${cluster}`);
  } else if (who === 'node') {
    throw new ProblemError(
      'forbidden',
      'reports are signed by a node key (the reporter is the key)',
    );
  }
  if (!hasOwnName(ctx.config.clusters, cluster))
    throw new ProblemError('unknown-cluster', `cluster ${cluster} is not configured`);
  return principal;
}
