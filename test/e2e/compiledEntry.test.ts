import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { agentBin, repoRoot } from '../support/processes.ts';

/**
 * bin/compiledEntry.js: the fast start of fence_fencer. A compiled entry is rebuilt whenever one
 * of its sources changed (never run stale), and when the cache cannot be written the sources
 * run through tsx as before.
 */
const run = promisify(execFile);
const loader = join(repoRoot, 'bin/compiledEntry.js');

/** A tiny "repository": entry.ts imports dep.ts; each run prints what dep.ts says. */
function project() {
  const root = mkdtempSync(join(tmpdir(), 'compiled-entry-'));
  const setDep = (word: string) =>
    writeFileSync(join(root, 'dep.ts'), `export const word: string = '${word}';\n`);
  // ESM like the repository (tsx follows package.json's type, esbuild bundles either way).
  writeFileSync(join(root, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(
    join(root, 'entry.ts'),
    "import { word } from './dep.ts';\nexport const answer = (): string => 'says ' + word;\n",
  );
  setDep('one');
  return { root, setDep, cacheDir: join(root, 'cache') };
}

async function load(root: string, cacheDir: string): Promise<string> {
  const script = `const { importCompiled } = await import(${JSON.stringify(loader)});
const m = await importCompiled('entry.ts', { name: 'entry', root: ${JSON.stringify(root)}, cacheDir: ${JSON.stringify(cacheDir)} });
console.log(m.answer());`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
  });
  return stdout.trim();
}

describe('importCompiled', () => {
  it('builds once, reuses the build while the sources are unchanged, rebuilds when one changes', async () => {
    // Prepare
    const { root, setDep, cacheDir } = project();
    const bundle = join(cacheDir, 'entry.mjs');

    // Act + Assess: the first run builds.
    expect(await load(root, cacheDir)).toBe('says one');
    const built = statSync(bundle).mtimeMs;
    const inputs = JSON.parse(readFileSync(join(cacheDir, 'entry.inputs.json'), 'utf8')).inputs;
    expect(Object.keys(inputs).sort()).toEqual(['dep.ts', 'entry.ts']);
    // Unchanged sources: the same build.
    expect(await load(root, cacheDir)).toBe('says one');
    expect(statSync(bundle).mtimeMs).toBe(built);
    // A changed source, even one of the same size, is never run stale.
    setDep('two');
    const later = new Date(Date.now() + 2_000);
    utimesSync(join(root, 'dep.ts'), later, later);
    expect(await load(root, cacheDir)).toBe('says two');
    expect(statSync(bundle).mtimeMs).toBeGreaterThan(built);
  });

  it('runs the sources through tsx when the cache cannot be written', async () => {
    const { root, setDep } = project();
    // A file where the cache dir would go: nothing can be built or written there.
    const blocked = join(root, 'not-a-dir');
    writeFileSync(blocked, '');
    setDep('three');
    expect(await load(root, join(blocked, 'cache'))).toBe('says three');
  });

  it('fence_fencer runs compiled: its build lists the agent sources and no zod', async () => {
    const { stdout } = await run(process.execPath, [agentBin, '-o', 'metadata']);
    expect(stdout).toContain('<resource-agent name="fence_fencer"');
    const manifest = join(repoRoot, 'node_modules/.cache/fencer/fence_fencer.inputs.json');
    const inputs = Object.keys(JSON.parse(readFileSync(manifest, 'utf8')).inputs);
    expect(inputs).toContain('cli/fenceAgent/main.ts');
    expect(inputs.filter((i) => i.includes('node_modules/'))).toEqual([]);
  });
});
