import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/processes.ts';

/**
 * The Functions app runs on Table Storage: the SQLite ledger (better-sqlite3, a native addon)
 * belongs to the local host only and must be neither in the bundle nor loaded by it.
 */
describe('the Functions bundle', () => {
  it('contains no SQLite ledger and loads no better-sqlite3', () => {
    // Act
    const out = mkdtempSync(join(tmpdir(), 'fencer-bundle-'));
    execFileSync(process.execPath, ['scripts/build.mjs', out], { cwd: repoRoot, stdio: 'pipe' });

    // Assess: no chunk mentions it (a lazy import() would show as a chunk or a specifier).
    const files = readdirSync(out).filter((f) => f.endsWith('.js'));
    expect(files).toContain('index.js');
    for (const file of files) {
      const text = readFileSync(join(out, file), 'utf8');
      expect(text, file).not.toMatch(/better-sqlite3|better_sqlite3|openSqliteLedger|GroupCommit/);
    }
    // The Table ledger is there: the bundle is not trivially empty.
    const all = files.map((f) => readFileSync(join(out, f), 'utf8')).join('\n');
    expect(all).toContain('TableDocuments');
  });
});
