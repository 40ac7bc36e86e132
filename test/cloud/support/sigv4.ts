import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface SigV4Key {
  secretAccessKey: string;
  /** Temporary credentials carry a session token the request must present. */
  sessionToken?: string;
}

export type SigV4Result =
  | { ok: true; accessKeyId: string; region: string; service: string }
  | { ok: false; status: number; code: string; message: string };

const authPattern =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

/**
 * Verifies an AWS Signature Version 4 `Authorization` header the way the service does: rebuild
 * the canonical request from what arrived on the wire, derive the signing key from the known
 * secret, and compare. A client that signs anything differently (headers, body hash, scope)
 * is refused, so a test passing here means the SDK really signed this request.
 */
export function verifySigV4(
  req: IncomingMessage,
  body: string,
  keys: (accessKeyId: string) => SigV4Key | undefined,
  now = Date.now(),
): SigV4Result {
  const auth = authPattern.exec(header(req, 'authorization') ?? '');
  if (!auth) {
    return {
      ok: false,
      status: 401,
      code: 'AuthFailure',
      message: 'AWS was not able to validate the provided access credentials',
    };
  }
  const [
    ,
    accessKeyId = '',
    date = '',
    region = '',
    service = '',
    signedHeaders = '',
    signature = '',
  ] = auth;
  const key = keys(accessKeyId);
  if (!key) {
    return {
      ok: false,
      status: 401,
      code: 'AuthFailure',
      message: 'AWS was not able to validate the provided access credentials',
    };
  }
  const amzDate = header(req, 'x-amz-date') ?? '';
  const signedAt = Date.parse(
    amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
  );
  if (
    !amzDate.startsWith(date) ||
    Number.isNaN(signedAt) ||
    Math.abs(now - signedAt) > 5 * 60_000
  ) {
    return {
      ok: false,
      status: 400,
      code: 'RequestExpired',
      message: `Request has expired. Timestamp date is ${amzDate}`,
    };
  }
  const names = signedHeaders.split(';');
  if (!names.includes('host') || !names.includes('x-amz-date')) {
    return {
      ok: false,
      status: 403,
      code: 'SignatureDoesNotMatch',
      message: 'host and x-amz-date must be signed',
    };
  }
  if (key.sessionToken !== undefined && header(req, 'x-amz-security-token') !== key.sessionToken) {
    return {
      ok: false,
      status: 401,
      code: 'AuthFailure',
      message: 'The security token included in the request is invalid',
    };
  }
  const url = new URL(req.url ?? '/', 'http://placeholder');
  const query = [...url.searchParams]
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalHeaders = names.map((name) => `${name}:${header(req, name) ?? ''}\n`).join('');
  const payloadHash = header(req, 'x-amz-content-sha256') ?? sha256(body);
  if (payloadHash !== 'UNSIGNED-PAYLOAD' && payloadHash !== sha256(body)) {
    return {
      ok: false,
      status: 403,
      code: 'SignatureDoesNotMatch',
      message: 'The provided x-amz-content-sha256 does not match the body',
    };
  }
  const canonicalRequest = [
    req.method,
    url.pathname
      .split('/')
      .map((s) => uriEncode(decodeURIComponent(s)))
      .join('/'),
    query,
    canonicalHeaders,
    signedHeaders,
    payloadHash,
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  let signingKey: Buffer = Buffer.from(`AWS4${key.secretAccessKey}`);
  for (const part of [date, region, service, 'aws4_request']) signingKey = hmac(signingKey, part);
  const expected = hmac(signingKey, stringToSign);
  const given = Buffer.from(signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return {
      ok: false,
      status: 403,
      code: 'SignatureDoesNotMatch',
      message:
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    };
  }
  return { ok: true, accessKeyId, region, service };
}

/** A header's value as SigV4 canonicalises it: repeated headers joined by ',', spaces folded. */
function header(req: IncomingMessage, name: string): string | undefined {
  const values: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i]?.toLowerCase() === name) values.push(req.rawHeaders[i + 1] ?? '');
  }
  if (values.length === 0) return undefined;
  return values.map((v) => v.trim().replace(/\s+/g, ' ')).join(',');
}

function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function hmac(key: Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text, 'utf8').digest();
}
