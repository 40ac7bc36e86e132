import { fileURLToPath } from 'node:url';
import { app, type HttpHandler, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { loadUiAssets, type UiAssets } from '../core/ui/assets.ts';
import { serveUi } from '../core/ui/serveUi.ts';

/**
 * The operator dashboard's files at `/api/ui/`, from the bundle `npm run build` writes next to
 * the functions bundle (`dist/ui` beside `dist/functions`). Read once, on the first request.
 */
const uiPrefix = '/api/ui';

export function uiHandler(dir: string): HttpHandler {
  let assets: UiAssets | undefined;
  return async (request: HttpRequest): Promise<HttpResponseInit> => {
    assets ??= loadUiAssets(dir);
    const { pathname, search } = new URL(request.url);
    // The route guarantees the prefix (host.json's routePrefix `api`, then `ui`); anything
    // else gets a name no file has.
    const subpath = pathname.startsWith(uiPrefix) ? pathname.slice(uiPrefix.length) : '/..';
    const response = serveUi(assets, {
      method: request.method,
      subpath: subpath + search,
      ifNoneMatch: request.headers.get('if-none-match') ?? undefined,
    });
    return { status: response.status, headers: response.headers, body: response.body };
  };
}

const bundledUi = fileURLToPath(new URL('../ui/', import.meta.url));

// `{*path}` also matches nothing, so `/api/ui` arrives here too (and is redirected to `ui/`).
app.http('ui', {
  route: 'ui/{*path}',
  methods: ['GET', 'HEAD'],
  authLevel: 'anonymous',
  handler: uiHandler(bundledUi),
});
