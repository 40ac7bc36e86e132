import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One file of the dashboard bundle, ready to send. */
export interface UiAsset {
  body: Uint8Array;
  contentType: string;
  /** Strong validator: a digest of the body. */
  etag: string;
  /** Named by its content hash (everything but index.html): cacheable for ever. */
  immutable: boolean;
}

/**
 * The dashboard's files by name. The only way a request reaches a file: a name that is not a
 * key of this map is 404, so no request path is ever joined onto a directory.
 */
export type UiAssets = ReadonlyMap<string, UiAsset>;

export const uiIndex = 'index.html';

const contentTypes = new Map([
  ['.html', 'text/html; charset=utf-8'],
  ['.js', 'text/javascript; charset=utf-8'],
  ['.css', 'text/css; charset=utf-8'],
  ['.svg', 'image/svg+xml'],
]);

function extension(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(dot);
}

/** Builds the served form of the bundle's files; files of other types are left out. */
export function toUiAssets(files: Iterable<[string, Uint8Array]>): UiAssets {
  const assets = new Map<string, UiAsset>();
  for (const [name, body] of files) {
    const contentType = contentTypes.get(extension(name));
    if (!contentType) continue;
    const digest = createHash('sha256').update(body).digest('base64url').slice(0, 22);
    assets.set(name, { body, contentType, etag: `"${digest}"`, immutable: name !== uiIndex });
  }
  if (!assets.has(uiIndex)) throw new Error(`the dashboard bundle has no ${uiIndex}`);
  return assets;
}

/** Reads a built bundle (the Functions package's `dist/ui`): the top-level files only. */
export function loadUiAssets(dir: string): UiAssets {
  const files: [string, Uint8Array][] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isFile()) files.push([entry.name, readFileSync(join(dir, entry.name))]);
  }
  return toUiAssets(files);
}
