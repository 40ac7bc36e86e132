import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The process runner when the relay is out of file descriptors (issue 10 hole 6): the spawn
 * fails, and that must be a retryable `resources` error, never an unhandled 'error' event.
 */
describe('process runner out of file descriptors', () => {
  it('rejects with a retryable resources error instead of crashing', () => {
    // Prepare / Act: a real node process under `ulimit -n 64` (argv only, nothing secret).
    const script = join(import.meta.dirname, 'fixtures/runOutOfFiles.ts');
    const result = spawnSync(
      '/bin/bash',
      ['-c', 'ulimit -n 64 && exec "$@"', 'bash', process.execPath, '--import', 'tsx', script],
      { encoding: 'utf8', cwd: join(import.meta.dirname, '../..'), timeout: 20_000 },
    );
    // Assess
    expect(result.stderr).not.toMatch(/Unhandled 'error' event/);
    expect(result.status).toBe(0);
    const outcome = JSON.parse(result.stdout.trim()) as Record<string, unknown>;
    expect(outcome).toMatchObject({ ran: false, code: 'resources', retryable: true });
    expect(String(outcome['message'])).toContain('EMFILE');
  });
});
