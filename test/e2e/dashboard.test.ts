import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ApiClient } from '../../cli/apiClient.ts';
import { systemClock } from '../../core/clock.ts';
import type { Incident } from '../../core/protocol/api.ts';
import { repoRoot, startServe } from '../support/processes.ts';
import { uniquePrefix, writeTestConfig } from '../support/testCluster.ts';
import { launchBrowser, type WatchedBrowser } from './support/browser.ts';
import { dashboardPage } from './support/dashboardPage.ts';

/**
 * DESIGN "Operator dashboard" in a real browser against `fencer serve`, through the contract
 * other programs test against: inputs "Key id" and "Secret", button "Sign in", each node's
 * name and state word as text, button "Unfence" for admin keys only.
 */
const viewerSecret = randomBytes(32).toString('base64');
const setup = writeTestConfig(
  {
    shop: {
      options: { levelTimeoutSeconds: 2, maxConcurrentFences: 2 },
      nodes: {
        alpha: {},
        bravo: { dummy: { offDelayMs: 200 } },
        charlie: {},
        // Level 1 takes the off command and never turns off (fails after 2 s); level 2 fences.
        delta: {
          levels: [
            [{ dummy: { statusFile: 'state/delta-ipmi.json', mode: 'ignore' } }],
            [{ dummy: { statusFile: 'state/delta-pdu.json', offDelayMs: 300 } }],
          ],
        },
        // Readiness at a glance (the panel: dashboardReadiness.test.ts): echo's only device
        // errors on every call (unfenceable); foxtrot's level 1 errors, level 2 works (degraded).
        echo: { dummy: { mode: 'error' } },
        foxtrot: {
          levels: [
            [{ dummy: { statusFile: 'state/foxtrot-ipmi.json', mode: 'error' } }],
            [{ dummy: { statusFile: 'state/foxtrot-pdu.json' } }],
          ],
        },
      },
    },
  },
  { viewers: { noc: { secretRef: 'env:VIEWER_NOC' } } },
  { VIEWER_NOC: viewerSecret },
);
const adminSecret = setup.secret('admin/ops');
// UPDATE_SCREENSHOTS=1 refreshes the pictures the README shows.
const shots = process.env.UPDATE_SCREENSHOTS
  ? join(repoRoot, 'docs')
  : mkdtempSync(join(tmpdir(), 'fencer-shots-'));
let serve: Awaited<ReturnType<typeof startServe>>;
let browser: WatchedBrowser;
let origin: string;
let viewerPage: Page;
let adminPage: Page;

beforeAll(async () => {
  serve = await startServe(['--config', setup.file], {
    ...setup.env,
    AzureWebJobsStorage: inject('azurite'),
    FENCER_STORAGE_PREFIX: uniquePrefix('dashboard'),
  });
  origin = `http://127.0.0.1:${serve.port}`;
  browser = await launchBrowser(origin);
}, 600_000); // the first run on a fresh machine installs Chromium with apt
afterAll(async () => {
  await browser?.close();
  expect(await serve?.stop()).toBe(0);
});

const { nodeItem, showsState, showsReadiness, signIn } = dashboardPage('shop', () => origin);

describe('a viewer', () => {
  it('is told clearly when the key is wrong', async () => {
    const page = await browser.newPage();
    await signIn(page, 'viewer/noc', `${viewerSecret.slice(0, -4)}AAA=`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/key id is unknown or the secret is wrong/);
    expect(await page.getByLabel('Key id').isVisible()).toBe(true);
    // The browser logs the refused call itself (which shows the watch works); nothing else.
    const errors = browser.errorsOf(page);
    expect(errors.some((e) => /status of 401/.test(e))).toBe(true);
    expect(errors.filter((e) => !/status of 401/.test(e))).toEqual([]);
    await page.close();
  });

  it('signs in and sees every node with its state; the page lands on /api/ui/', async () => {
    viewerPage = await browser.newPage({ width: 1100, height: 760 });
    await signIn(viewerPage, 'viewer/noc', viewerSecret);
    for (const name of ['alpha', 'bravo', 'charlie', 'delta'])
      await showsState(viewerPage, name, 'member');
    expect(new URL(viewerPage.url()).pathname).toBe('/api/ui/');
  });

  it("sees each node's readiness at a glance, next to its state", async () => {
    // Assess: as soon as the first checks are in, without reload
    await showsReadiness(viewerPage, 'echo', 'unfenceable');
    await showsReadiness(viewerPage, 'foxtrot', 'degraded');
    for (const name of ['alpha', 'bravo', 'charlie', 'delta'])
      await showsReadiness(viewerPage, name, 'ready');
    // The word is the text (colour only repeats it), and says what it is to a screen reader.
    const echo = nodeItem(viewerPage, 'echo');
    expect(await echo.getByText('unfenceable', { exact: true }).isVisible()).toBe(true);
    expect(await echo.getByText('member', { exact: true }).isVisible()).toBe(true);
    const link = echo.getByRole('link', { name: 'readiness of echo: unfenceable' });
    expect(await link.isVisible()).toBe(true);
    const summary = viewerPage.getByRole('region', { name: 'shop' }).locator('.summary');
    expect(await summary.textContent()).toMatch(/^6 nodes: 6 member; .*1 unfenceable/);
  });

  it('sees a reported node become fenced within 5 s, without reload', async () => {
    // Act
    const started = Date.now();
    const report = await setup
      .client(serve.url, 'shop/alpha')
      .request('POST', '/v1/clusters/shop/reports', { target: 'bravo', reason: 'heartbeat lost' });
    expect(report.status).toBe(202);
    await showsState(viewerPage, 'bravo', 'fenced');
    // Assess
    const seenMs = Date.now() - started;
    console.log(`report → "fenced" on the page in ${seenMs} ms`);
    expect(seenMs).toBeLessThan(5_000);
    expect(await viewerPage.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(
      1,
    );
    await viewerPage.screenshot({ path: join(shots, 'dashboard-overview.png') });
  });

  it("shows an incident's timeline: reporters, levels, attempts and outcomes", async () => {
    // Prepare: delta's level 1 fails, level 2 fences it
    const answer = await setup
      .client(serve.url, 'shop/charlie')
      .request('POST', '/v1/clusters/shop/reports', {
        target: 'delta',
        reason: 'no heartbeat for 15 s',
      });
    const id = (answer.body as Incident).incidentId;
    const done = await setup
      .client(serve.url, 'shop/charlie')
      .request('GET', `/v1/clusters/shop/incidents/${id}?waitSeconds=30`);
    expect(done.body).toMatchObject({ state: 'fenced' });
    // The split brain's loser accuses back: refused, and kept on the incident it lost to.
    const back = await setup
      .client(serve.url, 'shop/delta')
      .request('POST', '/v1/clusters/shop/reports', { target: 'charlie' });
    expect(back).toMatchObject({ status: 409, body: { code: 'reporter-fenced' } });
    // Act: from the overview to the cluster's incidents, filtered, to the incident
    await viewerPage.getByRole('link', { name: 'Incidents of shop' }).click();
    await viewerPage.getByLabel('Node (target or reporter)').selectOption('delta');
    await viewerPage.getByLabel('State').selectOption('fenced');
    const incidents = viewerPage.getByRole('region', { name: 'Incidents' });
    const rows = incidents.getByRole('row').filter({ hasText: 'delta' });
    await rows.first().waitFor();
    expect(await rows.count()).toBe(1);
    expect(await incidents.getByRole('row').filter({ hasText: 'bravo' }).count()).toBe(0);
    await rows.getByRole('link').click();
    // Assess
    await viewerPage.getByRole('heading', { name: 'Level 2' }).waitFor();
    const timeline = viewerPage.locator('.timeline');
    const text = (await timeline.textContent()) ?? '';
    expect(text).toMatch(/by charlie/);
    expect(text).toMatch(/Level 1dummytimeout in 2\.\d\d s/);
    expect(text).toMatch(/Level 2dummyoff in \d\.\d\d s/);
    expect(text).toMatch(/delta-pdu\.json: verified off/);
    const refused = viewerPage.getByRole('region', { name: 'Refused reports' });
    expect(await refused.getByRole('listitem').allTextContents()).toEqual([
      expect.stringMatching(/^delta at .+: reporter-fenced$/),
    ]);
    expect(await timeline.locator('.marker-refused').count()).toBe(1);
    const bars = await timeline
      .locator('.bar')
      .evaluateAll((els) => els.map((el) => (el as HTMLElement).getBoundingClientRect().width));
    // Drawn to scale: the 2 s timeout is several times the length of the short off.
    expect(bars).toHaveLength(2);
    expect((bars[0] ?? 0) / (bars[1] ?? 1)).toBeGreaterThan(2);
    await viewerPage.screenshot({ path: join(shots, 'dashboard-incident.png'), fullPage: true });
  });

  it('has no Unfence button, and the API refuses an unfence with its key anyway', async () => {
    await viewerPage.goto(`${origin}/api/ui/#/`);
    await showsState(viewerPage, 'bravo', 'fenced');
    expect(await viewerPage.getByRole('button', { name: 'Unfence' }).count()).toBe(0);
    const viewer = new ApiClient({
      url: serve.url,
      keyId: 'viewer/noc',
      secret: viewerSecret,
      clock: systemClock,
    });
    const refused = await viewer.request('POST', '/v1/clusters/shop/nodes/bravo/unfence', {});
    expect(refused).toMatchObject({ status: 403, body: { code: 'forbidden' } });
    await showsState(viewerPage, 'bravo', 'fenced');
  });
});

describe('an admin', () => {
  it('unfences a node, with power-on, after confirming (keyboard only)', async () => {
    adminPage = await browser.newPage();
    await adminPage.goto(`${origin}/api/ui/`);
    await adminPage.getByLabel('Key id').focus();
    await adminPage.keyboard.type('admin/ops');
    await adminPage.keyboard.press('Tab');
    await adminPage.keyboard.type(adminSecret);
    await adminPage.keyboard.press('Enter');
    await showsState(adminPage, 'bravo', 'fenced');
    const unfence = nodeItem(adminPage, 'bravo').getByRole('button', { name: 'Unfence' });
    // Cancelling changes nothing.
    await unfence.click();
    await adminPage.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    await showsState(adminPage, 'bravo', 'fenced');
    // Act
    await unfence.focus();
    await adminPage.keyboard.press('Enter');
    const dialog = adminPage.getByRole('dialog', { name: 'Unfence bravo in shop?' });
    await dialog.getByLabel(/Also power it on/).check();
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    // Assess
    await adminPage.getByRole('status').filter({ hasText: 'bravo is a member again' }).waitFor();
    expect(await adminPage.getByRole('status').textContent()).toMatch(
      /it was fenced\)\. Powered on/,
    );
    await showsState(adminPage, 'bravo', 'member');
    const power = JSON.parse(readFileSync(setup.statusFile('shop', 'bravo'), 'utf8'));
    expect(power).toMatchObject({ power: 'on', powerOnCalls: 1 });
    // The viewer's page follows without reload.
    await showsState(viewerPage, 'bravo', 'member');
  });

  it('fits a phone screen', async () => {
    const phone = await browser.newPage({ width: 390, height: 844 });
    await signIn(phone, 'admin/ops', adminSecret);
    await showsState(phone, 'delta', 'fenced');
    const overflow = () =>
      phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(await overflow()).toBeLessThanOrEqual(0);
    await phone.getByRole('link', { name: 'incident of delta' }).click();
    await phone.getByRole('heading', { name: 'Level 2' }).waitFor();
    expect(await overflow()).toBeLessThanOrEqual(0);
    expect(browser.errorsOf(phone)).toEqual([]);
  });
});

describe('what the page does not do', () => {
  it('asks nothing of any origin but its own, and no console error', () => {
    expect(browser.requests.length).toBeGreaterThan(10);
    const elsewhere = browser.requests.filter((r) => new URL(r.url).origin !== origin);
    expect(elsewhere.map((r) => r.url)).toEqual([]);
    expect(browser.errorsOf(viewerPage)).toEqual([]);
    expect(browser.errorsOf(adminPage)).toEqual([]);
  });

  it('signs every data call and never sends a secret, which stays out of localStorage', async () => {
    const api = browser.requests.filter((r) => new URL(r.url).pathname.startsWith('/api/v1/'));
    for (const r of api.filter((r) => !r.url.endsWith('/v1/health'))) {
      expect(r.headers['x-fencer-signature']).toMatch(/^v1=[0-9a-f]{64}$/);
      expect(r.headers['x-fencer-nonce']).toMatch(/^[0-9a-f]{32}$/);
    }
    const nonces = api.map((r) => r.headers['x-fencer-nonce']).filter(Boolean);
    expect(new Set(nonces).size).toBe(nonces.length);
    for (const secret of [viewerSecret, adminSecret]) {
      const leaked = browser.requests.filter((r) => JSON.stringify(r).includes(secret));
      expect(leaked).toEqual([]);
    }
    for (const page of [viewerPage, adminPage]) {
      const local = await page.evaluate(() => JSON.stringify({ ...localStorage }));
      expect(local).toBe('{}');
      const cookies = await browser.context.cookies();
      expect(cookies).toEqual([]);
    }
    // The key lives in the tab's sessionStorage only, and signing out removes it.
    await adminPage.getByRole('button', { name: 'Sign out' }).click();
    await adminPage.getByLabel('Key id').waitFor();
    expect(await adminPage.evaluate(() => sessionStorage.length)).toBe(0);
  });
});
