import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const src = fileURLToPath(new URL('./src/', import.meta.url));

/**
 * Bundles the dashboard (ui/src) into a few files: index.html, one script, one stylesheet and
 * the icon, each named by its content hash but the page. In memory: the local host serves the
 * result directly (a clone needs no build step and never serves a stale bundle); `writeUi`
 * puts the same files in the Functions package.
 */
export async function bundleUi(): Promise<Map<string, Uint8Array>> {
  const result = await build({
    entryPoints: [join(src, 'main.tsx'), join(src, 'styles.css')],
    outdir: '/ui', // virtual: write is false
    entryNames: '[name]-[hash]',
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    // Browsers of the last few years (dialog, Web Crypto, top-level modules).
    target: ['chrome110', 'firefox110', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'silent',
    tsconfig: join(src, '..', 'tsconfig.json'),
  });
  const files = new Map<string, Uint8Array>();
  for (const file of result.outputFiles) files.set(basename(file.path), file.contents);
  const script = [...files.keys()].find((name) => name.endsWith('.js'));
  const style = [...files.keys()].find((name) => name.endsWith('.css'));
  if (!script || !style) throw new Error('the dashboard bundle lacks its script or stylesheet');
  const iconBytes = readFileSync(join(src, 'icon.svg'));
  const icon = `icon-${createHash('sha256').update(iconBytes).digest('hex').slice(0, 8)}.svg`;
  files.set(icon, iconBytes);
  const page = readFileSync(join(src, 'index.html'), 'utf8')
    .replace('{{script}}', script)
    .replace('{{style}}', style)
    .replace('{{icon}}', icon);
  files.set('index.html', new TextEncoder().encode(page));
  return files;
}

/** Writes the bundle into `dir` (emptied first, so no file of an older build stays behind). */
export async function writeUi(dir: string): Promise<string[]> {
  const files = await bundleUi();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [name, body] of files) writeFileSync(join(dir, name), body);
  return [...files.keys()].sort();
}
