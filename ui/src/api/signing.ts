// The API's request signing (DESIGN "Request signing"), done in the page with Web Crypto, so
// the secret never leaves the page except as signatures. Only Web Crypto and TextEncoder: the
// same file runs in Node, where the unit tests check it against the server's verifier.

const encoder = new TextEncoder();

function hex(bytes: ArrayBuffer | Uint8Array): string {
  let out = '';
  for (const byte of new Uint8Array(bytes)) out += byte.toString(16).padStart(2, '0');
  return out;
}

export async function sha256Hex(body: Uint8Array | string): Promise<string> {
  // A copy: Web Crypto takes no view of a possibly shared buffer.
  const bytes = typeof body === 'string' ? encoder.encode(body) : new Uint8Array(body);
  return hex(await crypto.subtle.digest('SHA-256', bytes));
}

/** `timestamp \n nonce \n METHOD \n path-with-query \n hex(sha256(body))` */
export async function canonicalString(parts: {
  timestamp: string;
  nonce: string;
  method: string;
  pathWithQuery: string;
  body: Uint8Array | string;
}): Promise<string> {
  return [
    parts.timestamp,
    parts.nonce,
    parts.method.toUpperCase(),
    parts.pathWithQuery,
    await sha256Hex(parts.body),
  ].join('\n');
}

/** 16 random bytes as hex: 32 characters of the nonce alphabet, fresh for every request. */
export function newNonce(): string {
  return hex(crypto.getRandomValues(new Uint8Array(16)));
}

/** The HMAC key is the secret's UTF-8 text as written, not its base64 decoding. */
export async function signatureOf(secret: string, canonical: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return `v1=${hex(await crypto.subtle.sign('HMAC', key, encoder.encode(canonical)))}`;
}

/** Headers of a signed request. `pathWithQuery` starts at `/v1/` (no `/api` prefix). */
export async function signRequest(input: {
  keyId: string;
  secret: string;
  method: string;
  pathWithQuery: string;
  body?: Uint8Array | string;
  nowMs: number;
  nonce?: string;
}): Promise<Record<string, string>> {
  const timestamp = String(Math.floor(input.nowMs / 1000));
  const nonce = input.nonce ?? newNonce();
  const canonical = await canonicalString({
    timestamp,
    nonce,
    method: input.method,
    pathWithQuery: input.pathWithQuery,
    body: input.body ?? '',
  });
  return {
    'X-Fencer-Key': input.keyId,
    'X-Fencer-Timestamp': timestamp,
    'X-Fencer-Nonce': nonce,
    'X-Fencer-Signature': await signatureOf(input.secret, canonical),
  };
}
