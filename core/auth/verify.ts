import { ProblemError } from '../protocol/problems.ts';
import {
  canonicalString,
  maxSkewSeconds,
  noncePattern,
  signatureOf,
  signaturesEqual,
  signingHeaders,
} from './signing.ts';

/** Remembers (key, nonce) pairs; shared by every instance (the ledger), so replays are caught anywhere. */
export interface NonceStore {
  /** Returns false when the pair was already seen and has not expired. */
  remember(keyId: string, nonce: string, expiresAtMs: number): Promise<boolean>;
}

export interface SignedRequest {
  method: string;
  /** Path and query exactly as sent, starting at `/v1/`. */
  pathWithQuery: string;
  headers: Readonly<Record<string, string | undefined>>;
  body: Uint8Array;
}

export interface VerifyOptions {
  nowMs: number;
  /** Secret of a key id, or undefined when the key is unknown. */
  secretOf(keyId: string): string | undefined;
  nonces: NonceStore;
}

/**
 * Verifies the signature scheme of DESIGN.md and returns the key id. Every failure is a
 * ProblemError: 401 `unauthenticated` (missing/bad/stale/unknown) or 401 `replayed`.
 * Replay refusal applies to state-changing methods only: GETs change nothing and may repeat.
 */
export async function verifySignedRequest(
  request: SignedRequest,
  options: VerifyOptions,
): Promise<string> {
  const keyId = request.headers[signingHeaders.key];
  const timestamp = request.headers[signingHeaders.timestamp];
  const nonce = request.headers[signingHeaders.nonce];
  const signature = request.headers[signingHeaders.signature];
  if (!keyId || !timestamp || !nonce || !signature) {
    throw new ProblemError(
      'unauthenticated',
      'missing X-Fencer-Key, -Timestamp, -Nonce or -Signature header',
    );
  }
  if (!/^\d{1,12}$/.test(timestamp))
    throw new ProblemError('unauthenticated', 'X-Fencer-Timestamp must be unix seconds');
  if (!noncePattern.test(nonce))
    throw new ProblemError(
      'unauthenticated',
      'X-Fencer-Nonce must be 16-64 chars of [A-Za-z0-9_-]',
    );
  const skew = Math.abs(options.nowMs / 1000 - Number(timestamp));
  if (skew > maxSkewSeconds) {
    throw new ProblemError(
      'unauthenticated',
      `timestamp is ${Math.round(skew)} s away from the server clock (limit ${maxSkewSeconds} s)`,
    );
  }
  const secret = options.secretOf(keyId);
  // Compute a signature even for an unknown key, so unknown and wrong keys take the same time.
  const expected = signatureOf(
    secret ?? 'unknown-key',
    canonicalString({
      timestamp,
      nonce,
      method: request.method,
      pathWithQuery: request.pathWithQuery,
      body: request.body,
    }),
  );
  if (!signaturesEqual(expected, signature) || secret === undefined) {
    throw new ProblemError(
      'unauthenticated',
      'signature does not match (unknown key, wrong secret, or altered request)',
    );
  }
  if (request.method.toUpperCase() !== 'GET' && request.method.toUpperCase() !== 'HEAD') {
    // Keep the nonce past the far edge of the timestamp window, so it cannot come back as fresh.
    const expiresAtMs = (Number(timestamp) + maxSkewSeconds) * 1000 + maxSkewSeconds * 1000;
    if (!(await options.nonces.remember(keyId, nonce, expiresAtMs))) {
      throw new ProblemError('replayed', 'this nonce was already used with this key');
    }
  }
  return keyId;
}

/** Who signed: a node key (`cluster/node`), `admin/name`, `viewer/name` or `relay/name`. */
export type Principal =
  | { kind: 'node'; cluster: string; node: string }
  | { kind: 'admin'; name: string }
  | { kind: 'viewer'; name: string }
  | { kind: 'relay'; name: string };

export function principalOf(keyId: string): Principal {
  const [scope = '', name = ''] = keyId.split('/', 2);
  if (scope === 'admin' || scope === 'viewer' || scope === 'relay') return { kind: scope, name };
  return { kind: 'node', cluster: scope, node: name };
}

/** In-process nonce store, for single-instance servers (the relay agent). */
export class MemoryNonceStore implements NonceStore {
  private readonly seen = new Map<string, number>();
  constructor(private readonly now: () => number) {}
  async remember(keyId: string, nonce: string, expiresAtMs: number): Promise<boolean> {
    const now = this.now();
    if (this.seen.size > 10_000) {
      for (const [k, exp] of this.seen) if (exp <= now) this.seen.delete(k);
    }
    const key = `${keyId}\n${nonce}`;
    const exp = this.seen.get(key);
    if (exp !== undefined && exp > now) return false;
    this.seen.set(key, expiresAtMs);
    return true;
  }
}
