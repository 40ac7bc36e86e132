// Bundles the Azure Functions app: dist/functions/index.js (+ lazily loaded chunks), ESM for
// Node 20. The cloud SDKs land in their own chunks, loaded only when a target of that kind is
// fenced, so a cold start loads the entry alone. The operator dashboard goes beside it
// (dist/ui), where functions/ui.ts looks for it.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { tsImport } from 'tsx/esm/api';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

// `node scripts/build.mjs [OUTDIR]`: the bench builds into a folder of its own.
const outdir = process.argv[2] ?? 'dist/functions';
const result = await build({
  entryPoints: { index: 'functions/index.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  mainFields: ['module', 'main'],
  sourcemap: 'linked',
  metafile: true,
  define: { __FENCER_VERSION__: JSON.stringify(version) },
  logLevel: 'warning',
  // Provided by the Functions host at run time (it is not an npm package).
  external: ['@azure/functions-core'],
  // Some CommonJS dependencies call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __fencerRequire } from 'node:module'; const require = __fencerRequire(import.meta.url);",
  },
});
// The Functions app is on Table Storage only: the local host's embedded SQLite ledger (a native
// addon the Functions host could not load anyway) must never reach the bundle.
const forbidden = Object.keys(result.metafile.inputs).filter((input) =>
  /better-sqlite3|core\/ledger\/sqlite\//.test(input),
);
if (forbidden.length > 0) {
  console.error(`the Functions bundle must not contain:\n  ${forbidden.join('\n  ')}`);
  process.exit(1);
}
const outputs = Object.entries(result.metafile.outputs).filter(([file]) => file.endsWith('.js'));
const entry = outputs.find(([file]) => file.endsWith('index.js'));
const total = outputs.reduce((sum, [, o]) => sum + o.bytes, 0);
console.log(
  `dist/functions: entry ${Math.round((entry?.[1].bytes ?? 0) / 1024)} KiB, ${outputs.length} files, ${Math.round(total / 1024)} KiB in all`,
);

// The dashboard beside the default bundle only: a bench build into a folder of its own (which
// times the entry's cold start) must not replace dist/ui under a package build.
if (!process.argv[2]) {
  const { writeUi } = await tsImport('../ui/bundle.ts', import.meta.url);
  const uiDir = join(dirname(outdir), 'ui');
  const uiFiles = await writeUi(uiDir);
  console.log(`${uiDir}: ${uiFiles.join(', ')}`);
}
