import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { ensureDebianPackages } from '../../support/debianPackages.ts';

export interface WatchedBrowser {
  context: BrowserContext;
  /** Every URL any page asked for (the page, its files, its API calls). */
  requests: { url: string; headers: Record<string, string>; body: string }[];
  /** Console errors and uncaught exceptions, per page. */
  errorsOf(page: Page): string[];
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  close(): Promise<void>;
}

/**
 * Debian's Chromium (installed with apt when missing), headless, with a fresh profile and no
 * background traffic of its own. Any request to an address other than `allowedOrigin` is
 * recorded and aborted, so a test that finds one has not sent it anywhere.
 */
export async function launchBrowser(allowedOrigin: string): Promise<WatchedBrowser> {
  ensureDebianPackages(['chromium']);
  const profile = mkdtempSync(join(tmpdir(), 'fencer-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const requests: WatchedBrowser['requests'] = [];
  const errors = new Map<Page, string[]>();
  context.on('request', (request) => {
    requests.push({
      url: request.url(),
      headers: request.headers(),
      body: request.postData() ?? '',
    });
  });
  await context.route('**/*', (route) =>
    new URL(route.request().url()).origin === allowedOrigin ? route.continue() : route.abort(),
  );
  const watch = (page: Page) => {
    const list: string[] = [];
    errors.set(page, list);
    page.on('console', (m) => {
      if (m.type() === 'error') list.push(m.text());
    });
    page.on('pageerror', (err) => list.push(String(err)));
  };
  // The persistent context opens with one blank page; watch it like the others.
  for (const page of context.pages()) watch(page);
  return {
    context,
    requests,
    errorsOf: (page) => errors.get(page) ?? [],
    async newPage(viewport) {
      const page = await context.newPage();
      watch(page);
      if (viewport) await page.setViewportSize(viewport);
      return page;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
