import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The cloud SDKs must stay out of the entry bundle: the registry imports each driver module
 * with `await import()`, and only the driver modules import the SDKs. Bundling the registry the
 * way a host is bundled shows which inputs a cold start loads (static imports) and which wait
 * for the first device of their kind (dynamic imports). Timings: scripts/measureLoad.mjs.
 */
describe('lazy loading of the cloud SDKs', () => {
  let dir: string;
  let meta: Metafile;
  let entry: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fencer-lazy-'));
    const result = await build({
      entryPoints: [join(import.meta.dirname, '../../core/drivers/registry.ts')],
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      mainFields: ['module', 'main'],
      outdir: dir,
      metafile: true,
      logLevel: 'silent',
    });
    meta = result.metafile;
    // Chunks reached by dynamic import are entry points too; the bundle's own is the registry.
    entry =
      Object.keys(meta.outputs).find((p) =>
        meta.outputs[p]?.entryPoint?.endsWith('core/drivers/registry.ts'),
      ) ?? '';
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Inputs of every output reachable from `from` through imports of the given kinds. */
  function reachableInputs(from: string, kinds: string[]): string[] {
    const seen = new Set<string>();
    const visit = (path: string) => {
      if (seen.has(path)) return;
      seen.add(path);
      for (const i of meta.outputs[path]?.imports ?? []) if (kinds.includes(i.kind)) visit(i.path);
    };
    visit(from);
    return [...seen].flatMap((path) => Object.keys(meta.outputs[path]?.inputs ?? {}));
  }

  const sdk = /node_modules\/@(azure|aws-sdk|smithy)\//;

  it('loads no Azure or AWS SDK code when the registry is imported', () => {
    const atStart = reachableInputs(entry, ['import-statement']);
    expect(atStart.some((input) => input.endsWith('core/drivers/registry.ts'))).toBe(true);
    expect(atStart.filter((input) => sdk.test(input))).toEqual([]);
  });

  it('reaches each SDK through the dynamic import of its driver', () => {
    const later = reachableInputs(entry, ['import-statement', 'dynamic-import']);
    expect(later.some((input) => input.includes('node_modules/@azure/arm-compute/'))).toBe(true);
    expect(later.some((input) => input.includes('node_modules/@aws-sdk/client-ec2/'))).toBe(true);
  });
});
