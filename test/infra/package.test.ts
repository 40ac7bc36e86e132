import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storageNames } from '../../core/ledger/storage.ts';
import { appSettings } from '../../functions/settings.ts';
import { repoRoot } from '../support/processes.ts';
import { writeTestConfig } from '../support/testCluster.ts';
import { type OAuthAzurite, startOAuthAzurite } from './support/azuriteOAuth.ts';
import {
  type ManagedIdentityEndpoint,
  startManagedIdentityEndpoint,
} from './support/managedIdentityEndpoint.ts';

const run = promisify(execFile);
const probe = join(repoRoot, 'test/infra/support/workerProbe.mjs');
const version = (
  JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }
).version;
const functionNames = [
  'health',
  'report',
  'incident',
  'incidents',
  'clusters',
  'clusterReadiness',
  'cluster',
  'unfence',
  'nodePower',
  'relayPoll',
  'relayResults',
  'fenceWorker',
  'fencePoison',
  'sweeper',
  'readiness',
  'notifications',
  'ui',
];

interface Binding {
  type: string;
  direction: string;
  [key: string]: unknown;
}
interface ProbeResult {
  loadMs: number;
  functions: { name: string; bindings: Binding[] }[];
  warnings: string[];
  health?: { status: number; body: string };
  ui?: {
    page?: { status: number; headers: Record<string, string>; body: string };
    script?: { status: number; headers: Record<string, string>; body: string };
  };
}

/** Python's zipfile, an implementation independent of ours: lists, CRC-checks, extracts. */
const unzipPy = `
import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
bad = z.testzip()
z.extractall(sys.argv[2])
print(json.dumps({"bad": bad, "entries": [
  {"name": i.filename, "date": list(i.date_time), "mode": i.external_attr >> 16,
   "method": i.compress_type} for i in z.infolist()]}))
`;

describe('npm run package', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fencer-package-'));
  const app = join(dir, 'app');
  const setup = writeTestConfig({ c1: { nodes: { a: {}, b: {} } } });
  let output = '';
  let listing: {
    bad: string | null;
    entries: { name: string; date: number[]; mode: number; method: number }[];
  };

  beforeAll(async () => {
    for (const out of ['one.zip', 'two.zip']) {
      const result = await run(
        process.execPath,
        ['scripts/package.mjs', '--config', setup.file, '--out', join(dir, out)],
        { cwd: repoRoot },
      );
      output += result.stdout;
    }
    const { stdout } = await run('/usr/bin/python3', ['-c', unzipPy, join(dir, 'one.zip'), app]);
    listing = JSON.parse(stdout);
    console.log(
      output
        .split('\n')
        .filter((l) => l.includes('.zip:'))
        .join('\n'),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is reproducible: two builds give the same bytes, with fixed dates and modes', () => {
    const one = readFileSync(join(dir, 'one.zip'));
    expect(one.equals(readFileSync(join(dir, 'two.zip')))).toBe(true);
    expect(output).toMatch(/one\.zip: \d+ KiB \(\d+ files/);
    expect(listing.bad).toBeNull(); // every CRC matches
    expect(new Set(listing.entries.map((e) => e.date.join('-')))).toEqual(
      new Set(['1980-1-1-0-0-0']),
    );
    const names = listing.entries.map((e) => e.name);
    expect(names).toEqual([...names].sort());
  });

  it('holds what the Functions host needs: package.json → the bundle, host.json, the config', () => {
    const pkg = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8'));
    expect(pkg).toEqual({
      name: 'fencer',
      version,
      private: true,
      type: 'module',
      main: 'dist/functions/index.js',
    });
    expect(readFileSync(join(app, 'host.json'))).toEqual(readFileSync(join(repoRoot, 'host.json')));
    expect(readFileSync(join(app, 'fencer.yaml'), 'utf8')).toBe(readFileSync(setup.file, 'utf8'));
    const names = listing.entries.map((e) => e.name);
    const top = names.filter((n) => !n.startsWith('dist/functions/'));
    expect(names).toContain('dist/functions/index.js');
    const ui = top.filter((n) => n.startsWith('dist/ui/'));
    expect(top.filter((n) => !ui.includes(n)).sort()).toEqual([
      'dist/',
      'dist/package.json',
      'fencer.yaml',
      'host.json',
      'package.json',
    ]);
    // The dashboard: the page, one hashed script, one hashed stylesheet, the icon.
    expect(ui.map((n) => n.replace(/-[A-Za-z0-9]{8}\./, '-HASH.')).sort()).toEqual([
      'dist/ui/',
      'dist/ui/icon-HASH.svg',
      'dist/ui/index.html',
      'dist/ui/main-HASH.js',
      'dist/ui/styles-HASH.css',
    ]);
  });

  it('holds exactly the chunks the bundle imports, and no source maps', () => {
    const files = readdirSync(join(app, 'dist/functions')).sort();
    expect(files.every((f) => f.endsWith('.js'))).toBe(true);
    const reached = new Set<string>();
    const visit = (file: string) => {
      if (reached.has(file)) return;
      reached.add(file);
      const code = readFileSync(join(app, 'dist/functions', file), 'utf8');
      for (const m of code.matchAll(/(?:from|import)\s*\(?\s*"\.\/([\w.-]+\.js)"/g))
        visit(m[1] ?? '');
    };
    visit('index.js');
    expect([...reached].sort()).toEqual(files);
  });

  it('registers every function in @azure/functions test mode', async () => {
    const { stdout } = await run(process.execPath, [probe, app, 'test-mode'], {
      env: { PATH: process.env.PATH },
    });
    const result = JSON.parse(stdout) as ProbeResult;
    const skipped = result.warnings
      .map((w) => /Skipping call to register function "(\w+)"/.exec(w)?.[1])
      .filter(Boolean);
    expect(skipped).toEqual(functionNames);
  });

  describe('loaded the way the Node worker loads it, on identity-based storage', () => {
    let azurite: OAuthAzurite;
    let identity: ManagedIdentityEndpoint;
    let result: ProbeResult;

    beforeAll(async () => {
      [azurite, identity] = await Promise.all([
        startOAuthAzurite(),
        startManagedIdentityEndpoint(['app-client-id']),
      ]);
      // The settings a deployment gives the app (no connection string, no FENCER_CONFIG: the
      // config is found next to host.json), plus the platform's identity endpoint.
      const { stdout } = await run(process.execPath, [probe, app, 'worker'], {
        cwd: tmpdir(), // not the app folder: the worker's cwd is not reliably the app root
        env: {
          PATH: process.env.PATH,
          NODE_EXTRA_CA_CERTS: azurite.caFile,
          ...identity.env,
          AzureWebJobsStorage__tableServiceUri: azurite.tableServiceUri,
          AzureWebJobsStorage__queueServiceUri: azurite.queueServiceUri,
          AzureWebJobsStorage__credential: 'managedidentity',
          AzureWebJobsStorage__clientId: 'app-client-id',
          FENCER_FENCE_CLIENT_ID: 'fence-client-id',
          ...setup.env,
        },
      });
      result = JSON.parse(stdout);
      console.log(`bundled entry loaded in ${result.loadMs.toFixed(0)} ms`);
    });
    afterAll(async () => {
      await Promise.all([azurite?.stop(), identity?.close()]);
    });

    it('registers every function with the bindings the host needs', () => {
      expect(result.functions.map((f) => f.name)).toEqual(functionNames);
      const trigger = (name: string) =>
        result.functions
          .find((f) => f.name === name)
          ?.bindings.find((b) => /Trigger$/.test(b.type));
      for (const name of [...functionNames.slice(0, 6), 'ui']) {
        expect(trigger(name)).toMatchObject({ type: 'httpTrigger', authLevel: 'anonymous' });
      }
      expect(trigger('report')).toMatchObject({
        route: 'v1/clusters/{cluster}/reports',
        methods: ['POST'],
      });
      // The deployments set FENCER_STORAGE_PREFIX=fencer: the queues the triggers listen on
      // must be the ones the code writes to.
      const names = storageNames('fencer');
      expect(trigger('fenceWorker')).toMatchObject({
        type: 'queueTrigger',
        queueName: names.fenceQueue,
      });
      expect(trigger('fencePoison')).toMatchObject({ queueName: `${names.fenceQueue}-poison` });
      expect(trigger('sweeper')).toMatchObject({
        type: 'timerTrigger',
        schedule: '*/20 * * * * *',
      });
      // The host resolves a trigger's `connection` as the AzureWebJobsStorage__* settings
      // the deployments set for identity-based access.
      for (const name of ['fenceWorker', 'fencePoison']) {
        const connection = String(trigger(name)?.connection);
        expect(Object.keys(appSettings)).toContain(`${connection}__accountName`);
      }
    });

    it('serves the dashboard from the package, with its CSP', () => {
      const { page, script } = result.ui ?? {};
      expect(page).toMatchObject({
        status: 200,
        headers: {
          'content-type': 'text/html; charset=utf-8',
          'content-security-policy': expect.stringMatching(/^default-src 'self'; /),
          'cache-control': 'no-cache',
        },
      });
      expect(page?.body).toContain('<script type="module" src="main-');
      expect(script).toMatchObject({
        status: 200,
        headers: {
          'content-type': 'text/javascript; charset=utf-8',
          'cache-control': 'public, max-age=31536000, immutable',
        },
      });
      expect(script?.body).toContain('X-Fencer-Signature');
      const trigger = result.functions
        .find((f) => f.name === 'ui')
        ?.bindings.find((b) => b.type === 'httpTrigger');
      expect(trigger).toMatchObject({ route: 'ui/{*path}', methods: ['GET', 'HEAD'] });
    });

    it('answers health, reaching storage with the app identity only', () => {
      expect(result.health?.status).toBe(200);
      expect(JSON.parse(result.health?.body ?? '{}')).toEqual({ status: 'ok', version });
      expect(identity.requests.length).toBeGreaterThan(0);
      for (const request of identity.requests) {
        expect(request).toEqual({
          clientId: 'app-client-id',
          resource: expect.stringMatching(/^https:\/\/storage\.azure\.com\/?$/),
        });
      }
    });
  });
});
