import { describe, expect, it } from 'vitest';
import { toUiAssets } from '../../../core/ui/assets.ts';
import { serveUi, uiContentSecurityPolicy } from '../../../core/ui/serveUi.ts';

const text = (s: string) => new TextEncoder().encode(s);
const assets = toUiAssets([
  ['index.html', text('<!doctype html><title>Fencer</title>')],
  ['main-ABCDEFGH.js', text('console.log(1)')],
  ['styles-ABCDEFGH.css', text('body{}')],
  ['icon-12345678.svg', text('<svg/>')],
  ['notes.txt', text('not a type the dashboard serves')],
]);
const get = (subpath: string, extra: { method?: string; ifNoneMatch?: string } = {}) =>
  serveUi(assets, { method: 'GET', subpath, ...extra });

describe('serving the dashboard files', () => {
  it('serves the page with the CSP and revalidation, hashed files as immutable', () => {
    // Act
    const page = get('/');
    const script = get('/main-ABCDEFGH.js');
    // Assess
    expect(page.status).toBe(200);
    expect(page.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': uiContentSecurityPolicy,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-cache',
    });
    expect(uiContentSecurityPolicy.startsWith("default-src 'self';")).toBe(true);
    expect(uiContentSecurityPolicy).not.toMatch(/unsafe|\*|https?:/);
    expect(new TextDecoder().decode(page.body)).toContain('<title>Fencer</title>');
    expect(script.headers).toMatchObject({
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=31536000, immutable',
    });
    expect(get('/styles-ABCDEFGH.css').headers['content-type']).toBe('text/css; charset=utf-8');
    expect(get('/icon-12345678.svg').headers['content-type']).toBe('image/svg+xml');
    expect(get('/?x=1').status).toBe(200);
  });

  it('redirects /api/ui to /api/ui/ with a relative Location', () => {
    expect(get('')).toMatchObject({ status: 308, headers: { location: 'ui/' } });
  });

  it('answers 304 to a matching If-None-Match, HEAD without a body, other methods 405', () => {
    const { etag } = get('/').headers;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(get('/', { ifNoneMatch: `"other", ${etag}` })).toMatchObject({ status: 304 });
    expect(get('/', { ifNoneMatch: '"other"' }).status).toBe(200);
    const head = get('/main-ABCDEFGH.js', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body.byteLength).toBe(0);
    expect(get('/', { method: 'POST' })).toMatchObject({
      status: 405,
      headers: { allow: 'GET, HEAD' },
    });
  });

  it('never leaves the bundle: traversal, encodings, absolute paths and unknown names are 404', () => {
    const attempts = [
      '/../package.json',
      '/../../etc/passwd',
      '/..',
      '/.',
      '/%2e%2e/package.json',
      '/%2e%2e%2fpackage.json',
      '/..%2fpackage.json',
      '/..\\package.json',
      '//etc/passwd',
      '/./index.html',
      '/sub/index.html',
      '/index.html%00.js',
      '/notes.txt',
      '/constructor',
      '/__proto__',
      '/hasOwnProperty',
      '/.env',
      `/${'a'.repeat(300)}.js`,
    ];
    for (const subpath of attempts) {
      const response = get(subpath);
      expect([subpath, response.status]).toEqual([subpath, 404]);
      expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    }
  });

  it('refuses a bundle without its page', () => {
    expect(() => toUiAssets([['main.js', text('')]])).toThrow(/index\.html/);
  });
});
