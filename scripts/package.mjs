#!/usr/bin/env node
// `npm run package [-- --config fencer.yaml] [--out FILE] [--skip-build]`: the deployable zip of
// the Functions app (Flex Consumption one-deploy, or a run-from-package blob on Premium):
//   dist/functions/*.js   the esbuild bundle (entry + lazily loaded SDK chunks; no source maps:
//                         the host does not use them and they would triple the download)
//   dist/ui/*             the operator dashboard (index.html, hashed script, stylesheet, icon)
//   host.json             as in the repo
//   package.json          name, version, type: module, main → the bundle; no dependencies, all
//                         is bundled and @azure/functions-core is provided by the Node worker
//   fencer.yaml           the --config file, if given (FENCER_CONFIG's default)
// The zip is reproducible (scripts/zip.mjs): the same sources give the same bytes.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { tsImport } from 'tsx/esm/api';
import { parse } from 'yaml';
import { writeZip } from './zip.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    config: { type: 'string' },
    out: { type: 'string', default: join(root, 'dist', 'fencer-functions.zip') },
    'skip-build': { type: 'boolean', default: false },
  },
});

const bundleDir = join(root, 'dist', 'functions');
if (!args['skip-build']) {
  // esbuild leaves chunks of earlier builds in place (their names carry content hashes);
  // start empty so the zip holds exactly this build.
  rmSync(bundleDir, { recursive: true, force: true });
  execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
}

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const main = 'dist/functions/index.js';
const json = (value) => Buffer.from(`${JSON.stringify(value, null, 2)}\n`);
const files = [
  {
    name: 'package.json',
    data: json({ name: pkg.name, version: pkg.version, private: true, type: 'module', main }),
  },
  // Keeps `type: module` next to the chunks, should dist/ ever be deployed without the root
  // package.json (the version itself is baked into the bundle by scripts/build.mjs).
  { name: 'dist/package.json', data: json({ version: pkg.version, type: 'module' }) },
  { name: 'host.json', data: readFileSync(join(root, 'host.json')) },
];
for (const entry of readdirSync(bundleDir, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.js')) continue;
  const path = join(entry.parentPath ?? entry.path, entry.name); // .path before Node 20.12
  files.push({ name: relative(root, path).split('\\').join('/'), data: readFileSync(path) });
}
if (!files.some((f) => f.name === main)) throw new Error(`${main} is missing: run the build`);
const uiDir = join(root, 'dist', 'ui');
for (const name of readdirSync(uiDir).sort())
  files.push({ name: `dist/ui/${name}`, data: readFileSync(join(uiDir, name)) });
if (!files.some((f) => f.name === 'dist/ui/index.html'))
  throw new Error('dist/ui/index.html is missing: run the build');

const notes = [];
if (args.config) {
  const config = resolve(args.config);
  // The config loader's own validation (structure only: the secrets live in Azure, not here).
  const { loadConfigFile } = await tsImport('../core/config/load.ts', import.meta.url);
  try {
    loadConfigFile(config, { skipSecrets: true });
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  }
  const text = readFileSync(config, 'utf8');
  files.push({ name: 'fencer.yaml', data: Buffer.from(text) });
  const refs = [...new Set(secretRefs(parse(text)))];
  const settings = refs.filter((r) => r.startsWith('env:')).map((r) => r.slice(4));
  if (settings.length > 0) {
    notes.push(
      `app settings this config reads (give each a Key Vault secret; see docs/deploy.md):\n  ${settings.sort().join('\n  ')}`,
    );
  }
  for (const ref of refs.filter((r) => r.startsWith('file:'))) {
    notes.push(`warning: ${ref} is not in the package; in Azure use env: with a Key Vault secret`);
  }
}

const zip = writeZip(files);
mkdirSync(dirname(resolve(args.out)), { recursive: true });
writeFileSync(args.out, zip);
const sha256 = createHash('sha256').update(zip).digest('hex');
const js = files.filter((f) => f.name.endsWith('.js'));
const unpacked = files.reduce((sum, f) => sum + f.data.length, 0);
console.log(
  `${relative(process.cwd(), resolve(args.out)) || args.out}: ${kib(zip.length)} (${files.length} files, ${js.length} of them JS, ${kib(unpacked)} unpacked), sha256 ${sha256}`,
);
for (const note of notes) console.log(note);

function kib(bytes) {
  return `${(bytes / 1024).toFixed(0)} KiB`;
}

/** Every `secretRef` string in a parsed fencer.yaml. */
function secretRefs(value) {
  if (Array.isArray(value)) return value.flatMap(secretRefs);
  if (value === null || typeof value !== 'object') return [];
  if (typeof value.secretRef === 'string') return [value.secretRef];
  return Object.values(value).flatMap(secretRefs);
}
