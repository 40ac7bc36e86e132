import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { repoRoot, startServe } from '../support/processes.ts';
import { uniquePrefix, writeTestConfig } from '../support/testCluster.ts';
import { launchBrowser, type WatchedBrowser } from './support/browser.ts';
import { dashboardPage, deviceRows } from './support/dashboardPage.ts';

/**
 * DESIGN "Readiness" in the dashboard, in a real browser against `fencer serve`: a node's
 * readiness per level and device with the detail and since when, from the local host's own
 * checks (the first check of every device runs at start, the next ticks every 5 s).
 */
const setup = writeTestConfig({
  lab: {
    nodes: {
      alpha: {},
      // Its only device errors on every call: no level can fence it.
      echo: { dummy: { mode: 'error' } },
      // Level 1 errors, level 2 works: degraded.
      foxtrot: {
        levels: [
          [{ dummy: { statusFile: 'state/foxtrot-ipmi.json', mode: 'error' } }],
          [{ dummy: { statusFile: 'state/foxtrot-pdu.json' } }],
        ],
      },
    },
  },
  // Readiness checks switched off: never checked, so no time to show.
  quiet: { options: { readinessIntervalSeconds: 0 }, nodes: { yankee: {}, zulu: {} } },
});
const adminSecret = setup.secret('admin/ops');
// UPDATE_SCREENSHOTS=1 refreshes the pictures the README shows.
const shots = process.env.UPDATE_SCREENSHOTS
  ? join(repoRoot, 'docs')
  : mkdtempSync(join(tmpdir(), 'fencer-shots-'));
let serve: Awaited<ReturnType<typeof startServe>>;
let browser: WatchedBrowser;
let origin: string;
const pages: Page[] = [];

beforeAll(async () => {
  serve = await startServe(['--config', setup.file], {
    ...setup.env,
    AzureWebJobsStorage: inject('azurite'),
    FENCER_STORAGE_PREFIX: uniquePrefix('readinessui'),
  });
  origin = `http://127.0.0.1:${serve.port}`;
  browser = await launchBrowser(origin);
}, 600_000); // the first run on a fresh machine installs Chromium with apt
afterAll(async () => {
  await browser?.close();
  expect(await serve?.stop()).toBe(0);
});

const { showsReadiness, signIn } = dashboardPage('lab', () => origin);

/** Signed in, on the overview once the first checks are in, then on the cluster's panel. */
async function openPanel(viewport: { width: number; height: number }) {
  const page = await browser.newPage(viewport);
  pages.push(page);
  await signIn(page, 'admin/ops', adminSecret);
  await showsReadiness(page, 'echo', 'unfenceable');
  // The readiness word leads to the cluster's readiness panel.
  await page.getByRole('link', { name: 'readiness of echo' }).click();
  return page;
}

describe("the cluster's readiness panel", () => {
  it("shows a node whose only level fails as unfenceable, with the device's detail and since when", async () => {
    const page = await openPanel({ width: 1000, height: 900 });
    // Assess: echo's one device, failing, with why, when checked and since when
    const echo = page.getByRole('region', { name: 'Readiness of echo' });
    await echo.getByText('unfenceable', { exact: true }).waitFor();
    expect(await echo.getByText(/no level passed its check/).isVisible()).toBe(true);
    const [echoDevice = '', ...more] = await deviceRows(echo);
    expect(more).toEqual([]);
    expect(echoDevice).toMatch(/^1 dummy \S*state\/lab\/echo\.json failing unknown /);
    expect(echoDevice).toMatch(/echo\.json: mode is error/);
    // Checked and since: the time (the date too unless today), how long ago / for how long.
    expect(echoDevice).toMatch(/ (\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d \(\d+ (s|min) ago\) /);
    expect(echoDevice).toMatch(/ (\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d \(for \d+ (s|min)\)$/);
    // foxtrot: level 1 failing, level 2 ok, so degraded
    const foxtrot = page.getByRole('region', { name: 'Readiness of foxtrot' });
    await foxtrot.getByText('degraded', { exact: true }).waitFor();
    expect(await deviceRows(foxtrot)).toEqual([
      expect.stringMatching(/^1 dummy .+foxtrot-ipmi\.json failing unknown .*mode is error/),
      expect.stringMatching(/^2 dummy .+foxtrot-pdu\.json ok on power state reads on /),
    ]);
    await page
      .getByRole('region', { name: 'Readiness', exact: true })
      .screenshot({ path: join(shots, 'dashboard-readiness.png') });
  });

  it('keeps a ready node to one line, its devices shown when asked (keyboard)', async () => {
    const page = pages[0] as Page;
    const alpha = page.getByRole('region', { name: 'Readiness of alpha' });
    await alpha.getByText('ready', { exact: true }).waitFor();
    const devices = alpha.getByRole('table', { name: 'Fence devices of alpha' });
    expect(await devices.isVisible()).toBe(false);
    // Act
    await alpha.locator('summary').focus();
    await page.keyboard.press('Enter');
    // Assess
    await devices.waitFor();
    expect(await deviceRows(alpha)).toEqual([
      expect.stringMatching(/^1 dummy .+alpha\.json ok on power state reads on /),
    ]);
  });

  it('shows a device that was never checked as unchecked, with no time', async () => {
    const page = pages[0] as Page;
    await page.getByRole('link', { name: 'All clusters' }).click();
    await page.getByRole('link', { name: 'readiness of zulu: unchecked' }).click();
    const zulu = page.getByRole('region', { name: 'Readiness of zulu' });
    await zulu.getByText(/devices wait for their first check/).waitFor();
    expect(await deviceRows(zulu)).toEqual(['1 dummy unchecked unknown not checked yet never —']);
  });

  it('fits a phone screen: each device a block of labelled lines, long paths wrapped', async () => {
    const phone = await openPanel({ width: 390, height: 844 });
    const echo = phone.getByRole('region', { name: 'Readiness of echo' });
    await echo.getByText('failing', { exact: true }).waitFor();
    expect(await echo.getByText(/mode is error/).isVisible()).toBe(true);
    const overflow = await phone.evaluate(
      () => document.documentElement.scrollWidth - window.innerWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
  });

  it('asks nothing of any origin but its own, and no console error', () => {
    const elsewhere = browser.requests.filter((r) => new URL(r.url).origin !== origin);
    expect(elsewhere.map((r) => r.url)).toEqual([]);
    expect(browser.requests.some((r) => r.url.endsWith('/api/v1/clusters/lab/readiness'))).toBe(
      true,
    );
    for (const page of pages) expect(browser.errorsOf(page)).toEqual([]);
  });
});
