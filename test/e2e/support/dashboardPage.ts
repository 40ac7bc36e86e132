import type { Locator, Page } from 'playwright-core';

/**
 * Ways to read the dashboard the way the testability contract allows (DESIGN "Operator
 * dashboard"): labels, button names, each node's name and words as text.
 */
export function dashboardPage(cluster: string, origin: () => string) {
  const nodeItem = (page: Page, name: string) =>
    page
      .getByRole('list', { name: `Nodes of ${cluster}` })
      .getByRole('listitem')
      .filter({ hasText: name });
  return {
    nodeItem,
    showsState: (page: Page, name: string, state: string, timeout = 5_000) =>
      nodeItem(page, name).getByText(state, { exact: true }).waitFor({ timeout }),
    // The local host checks every device at start, then every 5 s for due ones: a few seconds.
    showsReadiness: (page: Page, name: string, readiness: string) =>
      nodeItem(page, name).getByTitle(`readiness: ${readiness}`).waitFor({ timeout: 15_000 }),
    async signIn(page: Page, keyId: string, secret: string) {
      await page.goto(`${origin()}/`);
      await page.getByLabel('Key id').fill(keyId);
      await page.getByLabel('Secret').fill(secret);
      await page.getByRole('button', { name: 'Sign in' }).click();
    },
  };
}

/** A readiness table's device rows as the eye reads them: cells apart, spaces collapsed. */
export const deviceRows = async (region: Locator) =>
  (await region.getByRole('row').allInnerTexts()).slice(1).map((r) => r.replace(/\s+/g, ' '));
