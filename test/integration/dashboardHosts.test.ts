import { mkdtempSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpRequest, InvocationContext } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalHost } from '../../cli/localHost.ts';
import { uiHandler } from '../../functions/ui.ts';
import { writeUi } from '../../ui/bundle.ts';
import { writeTestConfig } from '../support/testCluster.ts';
import { startTestHost } from './localHost.ts';

/**
 * DESIGN "Operator dashboard": both hosts serve the bundled page at `/api/ui/` with a strict
 * CSP, and nothing outside the bundle, however the path is spelled.
 */
const setup = writeTestConfig({ c1: { nodes: { a: {}, b: {} } } });
const dir = mkdtempSync(join(tmpdir(), 'fencer-ui-'));
const built = join(dir, 'ui');
let host: LocalHost;
let files: string[];

beforeAll(async () => {
  files = await writeUi(built);
  // A file right beside the bundle: the first thing a traversal would reach.
  writeFileSync(join(dir, 'secret.txt'), 'do not serve');
  host = await startTestHost(setup.loaded, 'dashboard');
});
afterAll(() => host?.stop());

/** A raw request: node:http sends the path as written (fetch would normalise `..`). */
function raw(path: string, method = 'GET', headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port: host.port, path, method, headers },
        (res) => {
          let body = '';
          res.on('data', (d) => {
            body += d;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        },
      );
      req.on('error', reject);
      req.end();
    },
  );
}

const traversals = [
  '/api/ui/../../package.json',
  '/api/ui/%2e%2e/%2e%2e/package.json',
  '/api/ui/..%2f..%2fpackage.json',
  '/api/ui/..%5c..%5cpackage.json',
  '/api/ui//etc/passwd',
  '/api/ui/../secret.txt',
  '/api/ui/%2e%2e/secret.txt',
  '/api/ui/bundle.ts',
  '/api/ui/src/main.tsx',
];

describe('the local host', () => {
  it('redirects / to the dashboard and serves every file of the bundle', async () => {
    expect(await raw('/')).toMatchObject({ status: 302, headers: { location: '/api/ui/' } });
    expect(await raw('/api/ui')).toMatchObject({ status: 308, headers: { location: 'ui/' } });
    const page = await raw('/api/ui/');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toMatch(/^default-src 'self'; /);
    for (const name of files.filter((f) => f !== 'index.html')) {
      expect(page.body).toContain(name);
      const file = await raw(`/api/ui/${name}`);
      expect([name, file.status, file.headers['cache-control']]).toEqual([
        name,
        200,
        'public, max-age=31536000, immutable',
      ]);
    }
    expect(
      await raw('/api/ui/', 'GET', { 'if-none-match': String(page.headers.etag) }),
    ).toMatchObject({ status: 304 });
    expect(await raw('/api/ui/', 'POST')).toMatchObject({ status: 405 });
  });

  it('serves nothing outside the bundle, however the path is spelled', async () => {
    for (const path of traversals) {
      const response = await raw(path);
      expect([path, response.status]).toEqual([path, 404]);
      expect(response.body).not.toMatch(/"name": "fencer"|do not serve|root:/);
    }
  });

  it('still answers the API beside it', async () => {
    expect((await raw('/api/v1/health')).status).toBe(200);
  });
});

describe('the Functions app', () => {
  const handler = uiHandler(built);
  const call = async (path: string, method = 'GET') => {
    const response = await handler(
      new HttpRequest({ method, url: `https://fencer.example${path}` }),
      new InvocationContext({ functionName: 'ui', invocationId: 'inv-1' }),
    );
    return {
      status: response.status,
      headers: response.headers as Record<string, string>,
      body: Buffer.from(response.body as Uint8Array).toString(),
    };
  };

  it('serves the built page and its files from the folder beside the functions', async () => {
    const page = await call('/api/ui/');
    expect(page).toMatchObject({
      status: 200,
      headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' },
    });
    expect(page.headers['content-security-policy']).toMatch(/^default-src 'self'; /);
    for (const name of files) expect((await call(`/api/ui/${name}`)).status).toBe(200);
    expect(await call('/api/ui')).toMatchObject({ status: 308, headers: { location: 'ui/' } });
  });

  it('serves nothing outside the bundle', async () => {
    for (const path of [...traversals, '/api/secret.txt', '/secret.txt']) {
      const response = await call(path);
      expect([path, response.status]).toEqual([path, 404]);
      expect(response.body).not.toContain('do not serve');
    }
  });
});
