import { problem } from '../protocol/problems.ts';
import { type UiAssets, uiIndex } from './assets.ts';

/** A response with a raw body (the API's responses are JSON; these are files). */
export interface StaticResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

/**
 * DESIGN "Operator dashboard": nothing but this origin, no inline script or style, no framing,
 * and no form may submit anywhere (should the script fail to load, the sign-in form cannot put
 * the secret in a URL).
 */
export const uiContentSecurityPolicy =
  "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'";

const securityHeaders = {
  'content-security-policy': uiContentSecurityPolicy,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** A file name of the bundle: one segment, no dot first (so no `..`), no escapes. */
const assetName = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Answers a request under `/api/ui`. `subpath` is what follows `/ui` (`""`, `"/"`,
 * `"/main-HASH.js"`, possibly with a query). GET and HEAD only.
 */
export function serveUi(
  assets: UiAssets,
  request: { method: string; subpath: string; ifNoneMatch?: string | undefined },
): StaticResponse {
  const method = request.method.toUpperCase();
  if (method !== 'GET' && method !== 'HEAD')
    return problemOf(405, 'method-not-allowed', 'use GET', { allow: 'GET, HEAD' });
  const path = request.subpath.split('?', 1)[0] ?? '';
  // Relative asset URLs need the trailing slash; a relative Location works under any prefix.
  if (path === '') return { status: 308, headers: { location: 'ui/' }, body: new Uint8Array() };
  const name = path === '/' ? uiIndex : path.slice(1);
  const asset = assetName.test(name) ? assets.get(name) : undefined;
  if (!asset) return problemOf(404, 'not-found', 'no such file of the dashboard');
  const headers: Record<string, string> = {
    ...securityHeaders,
    'content-type': asset.contentType,
    etag: asset.etag,
    // The page itself is revalidated every time, so a new deployment's page (and through it
    // the new hashed files) is picked up at once.
    'cache-control': asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
  };
  if (request.ifNoneMatch?.split(',').some((tag) => tag.trim() === asset.etag))
    return { status: 304, headers, body: new Uint8Array() };
  return {
    status: 200,
    headers: { ...headers, 'content-length': String(asset.body.byteLength) },
    body: method === 'HEAD' ? new Uint8Array() : asset.body,
  };
}

function problemOf(
  status: number,
  code: 'not-found' | 'method-not-allowed',
  detail: string,
  extra: Record<string, string> = {},
): StaticResponse {
  return {
    status,
    headers: { 'content-type': 'application/problem+json; charset=utf-8', ...extra },
    body: new TextEncoder().encode(JSON.stringify(problem(code, detail))),
  };
}
