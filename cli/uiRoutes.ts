import type { IncomingMessage, ServerResponse } from 'node:http';
import { toUiAssets, type UiAssets } from '../core/ui/assets.ts';
import { serveUi } from '../core/ui/serveUi.ts';
import { bundleUi } from '../ui/bundle.ts';

const uiPath = '/api/ui';
let assets: Promise<UiAssets> | undefined;

/**
 * The dashboard on the local host, bundled from ui/src in memory on its first request (tens of
 * milliseconds), so a clone serves it with no build step and never a stale copy. A failed
 * build is not cached: the next request tries again.
 */
function uiAssets(): Promise<UiAssets> {
  assets ??= bundleUi().then(
    (files) => toUiAssets(files),
    (err) => {
      assets = undefined;
      throw err;
    },
  );
  return assets;
}

/**
 * Answers `/` (a redirect to the dashboard) and everything under `/api/ui`; returns false for
 * any other path (the API's).
 */
export async function handleUiRequest(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const raw = req.url ?? '/';
  if (raw === '/') {
    res.writeHead(302, { location: `${uiPath}/`, 'content-length': '0' }).end();
    return true;
  }
  if (raw !== uiPath && !raw.startsWith(`${uiPath}/`) && !raw.startsWith(`${uiPath}?`))
    return false;
  const response = serveUi(await uiAssets(), {
    method: req.method ?? 'GET',
    subpath: raw.slice(uiPath.length),
    ifNoneMatch: req.headers['if-none-match'],
  });
  res.writeHead(response.status, response.headers);
  res.end(response.body);
  return true;
}
