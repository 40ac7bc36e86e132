// Shared by the bin entry points that must start fast (fence_fencer: Pacemaker runs it for every
// list, monitor and fence, and its start-up is part of every fence's time). Plain JavaScript.
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = resolve(fileURLToPath(new URL('..', import.meta.url)));

/**
 * Imports a TypeScript entry of this repository compiled by esbuild into one ESM file, kept in
 * `cacheDir` (default `node_modules/.cache/fencer`) with the size and mtime of every file that
 * went into it, and rebuilt when one of them changed: so a fresh clone still needs no build step,
 * and an edited source is never run stale. Loading tsx costs 0.3-0.6 s per start on Node 20 (its
 * loader runs on a thread of its own); the compiled file loads in a few milliseconds.
 * When the cache cannot be read or written (another user: Pacemaker's controller asks for the
 * metadata as hacluster), it runs the sources through tsx as before.
 *
 * @param {string} entry path of the entry, relative to the repository
 * @param {{ name: string, cacheDir?: string, root?: string }} options
 * @returns {Promise<any>} the entry's module namespace
 */
export async function importCompiled(entry, options) {
  const root = options.root ?? repo;
  const cacheDir = options.cacheDir ?? join(root, 'node_modules/.cache/fencer');
  const bundle = join(cacheDir, `${options.name}.mjs`);
  const manifest = join(cacheDir, `${options.name}.inputs.json`);
  let compiled = fresh(manifest, root) ? bundle : undefined;
  if (!compiled) compiled = await rebuild(entry, root, bundle, manifest).catch(() => undefined);
  if (compiled) return import(pathToFileURL(compiled).href);
  const { register } = await import('tsx/esm/api');
  register();
  return import(pathToFileURL(join(root, entry)).href);
}

/** `size:mtimeMs` of a file: what says it changed (an edit, a checkout, a package update). */
const stamp = (file) => {
  const s = statSync(file);
  return `${s.size}:${s.mtimeMs}`;
};

/** True when the manifest exists and every input it lists is unchanged. */
function fresh(manifest, root) {
  try {
    const { inputs } = JSON.parse(readFileSync(manifest, 'utf8'));
    const files = Object.entries(inputs);
    return files.length > 0 && files.every(([file, was]) => stamp(resolve(root, file)) === was);
  } catch {
    return false;
  }
}

/**
 * Bundles the entry (every import inlined; Node's own modules stay imports) and writes the
 * bundle, then the manifest, each through a rename, so a concurrent run reads whole files only.
 * An input that changed while the build ran is not recorded: the next start builds again.
 */
async function rebuild(entry, root, bundle, manifest) {
  const { build } = await import('esbuild');
  const startedAt = Date.now();
  const result = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    mainFields: ['module', 'main'],
    write: false,
    metafile: true,
    logLevel: 'silent',
    outfile: bundle,
    // A CommonJS dependency may call require(); give the ESM bundle one.
    banner: {
      js: "import { createRequire as __fencerRequire } from 'node:module'; const require = __fencerRequire(import.meta.url);",
    },
  });
  const code = result.outputFiles.find((f) => f.path === bundle)?.contents;
  if (!code) throw new Error(`esbuild wrote no ${bundle}`);
  mkdirSync(resolve(bundle, '..'), { recursive: true, mode: 0o755 });
  const tmp = `.${process.pid}.tmp`;
  writeFileSync(bundle + tmp, code, { mode: 0o644 });
  renameSync(bundle + tmp, bundle);
  const inputs = {};
  let settled = true;
  for (const file of Object.keys(result.metafile.inputs)) {
    const path = resolve(root, file);
    if (statSync(path).mtimeMs >= startedAt - 1) settled = false;
    inputs[file] = stamp(path);
  }
  if (settled) {
    writeFileSync(manifest + tmp, JSON.stringify({ entry, inputs }), { mode: 0o644 });
    renameSync(manifest + tmp, manifest);
  }
  return bundle;
}
