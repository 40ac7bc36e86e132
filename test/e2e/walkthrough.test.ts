import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/processes.ts';

/**
 * Runs the README's walkthrough as written, in a fresh clone: every ```sh block in order
 * (`npm start` in the background), checking that each line of the ```text block after it
 * appears in the output (`…` matches anything).
 */
const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const section = readme.slice(
  readme.indexOf('<!-- walkthrough:start -->'),
  readme.indexOf('<!-- walkthrough:end -->'),
);
const blocks = [...section.matchAll(/```(sh|text)\n([\s\S]*?)```/g)].map((m) => ({
  kind: m[1],
  text: m[2] ?? '',
}));
const steps = blocks.flatMap((b, i) =>
  b.kind === 'sh'
    ? [
        {
          command: b.text.trim(),
          expect: blocks[i + 1]?.kind === 'text' ? (blocks[i + 1]?.text ?? '') : '',
        },
      ]
    : [],
);

const clone = mkdtempSync(join(tmpdir(), 'fencer-readme-'));
let server: ChildProcess | undefined;
let serverOutput = '';

afterAll(async () => {
  if (server?.pid) {
    process.kill(-server.pid, 'SIGTERM');
    await new Promise((r) => server?.once('exit', r));
  }
});

const pattern = (line: string) =>
  new RegExp(
    line
      .trim()
      .split('…')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*'),
  );

describe('README walkthrough', () => {
  it('has the steps it promises', () => {
    expect(steps.length).toBeGreaterThanOrEqual(6);
    expect(steps[0]?.command).toBe('npm start');
  });

  it('does what it says, run as written on a fresh clone', async () => {
    execFileSync('git', ['clone', '--quiet', repoRoot, clone]);
    // The clone sees committed files only; test the README and demo as they are now.
    cpSync(join(repoRoot, 'README.md'), join(clone, 'README.md'));
    cpSync(join(repoRoot, 'demo', 'fencer.yaml'), join(clone, 'demo', 'fencer.yaml'));
    symlinkSync(join(repoRoot, 'node_modules'), join(clone, 'node_modules'));

    const [start, ...rest] = steps;
    server = spawn('bash', ['-c', start?.command ?? ''], {
      cwd: clone,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout?.on('data', (d: Buffer) => {
      serverOutput += d.toString();
    });
    server.stderr?.on('data', (d: Buffer) => {
      serverOutput += d.toString();
    });
    for (let waited = 0; !serverOutput.includes('listening on'); waited += 100) {
      if (waited > 60_000) throw new Error(`npm start did not come up:\n${serverOutput}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const line of (start?.expect ?? '').split('\n').filter(Boolean))
      expect(serverOutput).toMatch(pattern(line));

    for (const step of rest) {
      const output = execFileSync('bash', ['-c', step.command], {
        cwd: clone,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 90_000,
      });
      for (const line of step.expect.split('\n').filter(Boolean))
        expect(output, `after: ${step.command}`).toMatch(pattern(line));
    }
  });
});
