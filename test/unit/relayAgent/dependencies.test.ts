import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * STYLE.md's dependency direction: `relay-agent → core/auth, core/protocol` (and the small
 * shared helpers). The relay is installed at sites on its own; it must never pull in a fence
 * driver (and with it a cloud SDK), not even for a type.
 */
const repo = resolve(import.meta.dirname, '../../..');

const importPattern =
  /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Relative imports of one file, resolved to repository paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(importPattern)) {
    const spec = match[1] ?? match[2];
    if (spec?.startsWith('.')) found.push(resolve(dirname(file), spec));
  }
  return found;
}

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/** Every repository file the relay agent reaches through imports, transitively. */
function closureOf(roots: string[]): Set<string> {
  const seen = new Set<string>();
  const queue = [...roots];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (seen.has(file) || !existsSync(file)) continue;
    seen.add(file);
    if (file.endsWith('.ts')) queue.push(...importsOf(file));
  }
  return seen;
}

describe('relay agent dependencies', () => {
  it('reaches nothing under core/drivers, directly or through another module', () => {
    // Prepare
    const roots = sourcesUnder(join(repo, 'relay-agent'));
    // Act
    const reached = [...closureOf(roots)].map((f) => relative(repo, f));
    // Assess
    expect(roots.length).toBeGreaterThan(10);
    expect(reached).toContain('core/protocol/relay.ts');
    expect(reached.filter((f) => f.startsWith('core/drivers/'))).toEqual([]);
  });
});
