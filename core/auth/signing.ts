import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Header names of the signing scheme (DESIGN.md, Request signing). */
export const signingHeaders = {
  key: 'x-fencer-key',
  timestamp: 'x-fencer-timestamp',
  nonce: 'x-fencer-nonce',
  signature: 'x-fencer-signature',
} as const;

export const maxSkewSeconds = 300;
export const noncePattern = /^[A-Za-z0-9_-]{16,64}$/;

export function sha256Hex(body: Uint8Array | string): string {
  return createHash('sha256').update(body).digest('hex');
}

/** `timestamp \n nonce \n METHOD \n path-with-query \n hex(sha256(body))` */
export function canonicalString(parts: {
  timestamp: string;
  nonce: string;
  method: string;
  pathWithQuery: string;
  body: Uint8Array | string;
}): string {
  return [
    parts.timestamp,
    parts.nonce,
    parts.method.toUpperCase(),
    parts.pathWithQuery,
    sha256Hex(parts.body),
  ].join('\n');
}

/** The HMAC key is the secret's UTF-8 text as written, not its base64 decoding. */
export function signatureOf(secret: string, canonical: string): string {
  return `v1=${createHmac('sha256', Buffer.from(secret, 'utf8')).update(canonical).digest('hex')}`;
}

/** Constant-time comparison of two signature strings. */
export function signaturesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  // Compare against itself when lengths differ, so timing does not depend on where they differ.
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}

export function newNonce(): string {
  return randomBytes(18).toString('base64url');
}

/** Headers for a signed request. `pathWithQuery` starts at `/v1/` (no `/api` prefix). */
export function signRequest(input: {
  keyId: string;
  secret: string;
  method: string;
  pathWithQuery: string;
  body?: Uint8Array | string;
  nowMs: number;
  nonce?: string;
}): Record<string, string> {
  const timestamp = String(Math.floor(input.nowMs / 1000));
  const nonce = input.nonce ?? newNonce();
  const canonical = canonicalString({
    timestamp,
    nonce,
    method: input.method,
    pathWithQuery: input.pathWithQuery,
    body: input.body ?? '',
  });
  return {
    [signingHeaders.key]: input.keyId,
    [signingHeaders.timestamp]: timestamp,
    [signingHeaders.nonce]: nonce,
    [signingHeaders.signature]: signatureOf(input.secret, canonical),
  };
}
