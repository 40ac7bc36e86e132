#!/usr/bin/env node
// Measures what lazy loading of the cloud SDKs buys at cold start (issue 3).
//
// Two small entries are bundled the way a Functions/host entry would be (esbuild, ESM,
// platform node, code splitting, main fields module,main):
//   lazy:  imports core/drivers/registry.ts, which imports each driver (and its SDK) only
//          with `await import()` when a device of that kind is first used;
//   eager: imports the azure-vm and aws-ec2 driver modules (and so their SDKs) up front.
// Each bundle's entry is then imported by a fresh `node` process, RUNS times, alternating, and
// the time of the `import()` itself is taken inside the process. Prints medians and the ratio.
//
//   node scripts/measureLoad.mjs [runs]      (default 15)

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv[2] ?? 15);
const dir = mkdtempSync(join(tmpdir(), 'fencer-load-'));

const entries = {
  lazy: `export { createDriver, driverKindOf } from ${JSON.stringify(join(root, 'core/drivers/registry.ts'))};\n`,
  eager: [
    `export { createDriver } from ${JSON.stringify(join(root, 'core/drivers/registry.ts'))};`,
    `export { createAzureVmDriver } from ${JSON.stringify(join(root, 'core/drivers/azureVm.ts'))};`,
    `export { createAwsEc2Driver } from ${JSON.stringify(join(root, 'core/drivers/awsEc2.ts'))};`,
    '',
  ].join('\n'),
};

/**
 * Bundles one entry into its own folder; returns the entry file and the bytes a cold start
 * loads: the entry plus every chunk reachable from it by static imports (dynamic imports are
 * what lazy loading defers).
 */
async function bundle(name) {
  const source = join(dir, `${name}.mjs`);
  writeFileSync(source, entries[name]);
  const outdir = join(dir, `${name}-out`);
  const result = await build({
    entryPoints: [source],
    metafile: true,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    mainFields: ['module', 'main'],
    outdir,
    logLevel: 'error',
    // CommonJS dependencies call require() for node built-ins; give ESM output one.
    banner: {
      js: "import { createRequire as __fencerCreateRequire } from 'node:module'; const require = __fencerCreateRequire(import.meta.url);",
    },
  });
  const file = join(outdir, `${name}.js`);
  const outputs = result.metafile.outputs;
  const key = Object.keys(outputs).find((path) => resolve(path) === file);
  const seen = new Set();
  const visit = (path) => {
    if (seen.has(path)) return;
    seen.add(path);
    for (const i of outputs[path]?.imports ?? []) if (i.kind === 'import-statement') visit(i.path);
  };
  visit(key);
  const bytes = [...seen].reduce((sum, path) => sum + (outputs[path]?.bytes ?? 0), 0);
  return { file, bytes };
}

/** One cold process: milliseconds spent in `import()` of the entry. */
function loadOnce(file) {
  const code = `const t = process.hrtime.bigint(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return Number(out);
}

/** One cold process that imports nothing: what node itself costs. */
function processOnce(file) {
  const started = process.hrtime.bigint();
  const code = file ? `await import(${JSON.stringify(pathToFileURL(file).href)});` : '';
  execFileSync(process.execPath, ['--input-type=module', '-e', code], {
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

try {
  const lazy = await bundle('lazy');
  const eager = await bundle('eager');
  const times = { lazy: [], eager: [], lazyWall: [], eagerWall: [], nodeWall: [] };
  loadOnce(lazy.file); // warm the file system cache for both, not the processes
  loadOnce(eager.file);
  for (let i = 0; i < runs; i++) {
    times.lazy.push(loadOnce(lazy.file));
    times.eager.push(loadOnce(eager.file));
    times.lazyWall.push(processOnce(lazy.file));
    times.eagerWall.push(processOnce(eager.file));
    times.nodeWall.push(processOnce());
  }
  const fmt = (ms) => `${ms.toFixed(1)} ms`;
  const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
  console.log(
    `module load (import() of the bundled entry), median of ${runs} runs, node ${process.version}:`,
  );
  console.log(
    `  eager (SDKs in the entry):   ${fmt(m.eager)}   loads ${(eager.bytes / 1024).toFixed(0)} KiB`,
  );
  console.log(
    `  lazy  (SDKs on first use):   ${fmt(m.lazy)}   loads ${(lazy.bytes / 1024).toFixed(0)} KiB`,
  );
  console.log(`  eager / lazy:                ${(m.eager / m.lazy).toFixed(1)}x`);
  console.log('whole process (node -e import), median:');
  console.log(
    `  eager ${fmt(m.eagerWall)}, lazy ${fmt(m.lazyWall)}, node alone ${fmt(m.nodeWall)}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
