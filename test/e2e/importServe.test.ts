import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runFencer, startServe } from '../support/processes.ts';

describe('import-stonith-conf round trip', () => {
  it('imports the LifeKeeper examples and `fencer serve` starts on the result', async () => {
    // Prepare
    const out = mkdtempSync(join(tmpdir(), 'fencer-import-'));
    const fixtures = join(repoRoot, 'test/fixtures/stonith');
    // Act
    const imported = await runFencer([
      'import-stonith-conf',
      join(fixtures, 'seed-ipmitool.conf'),
      join(fixtures, 'seed-azure.conf'),
      '--subscription',
      '00000000-0000-0000-0000-000000000000',
      '--relay-url',
      'https://relay.dc1.example:7443',
      '--out',
      join(out, 'site'),
    ]);
    // Assess
    expect(imported.code).toBe(0);
    const yaml = readFileSync(join(out, 'site', 'fencer.yaml'), 'utf8');
    // The seed's BMC password is the word "secret": it must not appear as a value anywhere.
    expect(yaml).not.toMatch(/:\s*['"]?secret['"]?\s*$/m);
    expect(yaml).not.toContain('-P secret');
    expect(yaml).toContain('vm-HostA');
    expect(readFileSync(join(out, 'site', 'relay.yaml'), 'utf8')).not.toMatch(
      /:\s*['"]?secret['"]?\s*$/m,
    );
    expect(readFileSync(join(out, 'site', 'secrets', '192.168.0.1-root.pw'), 'utf8').trim()).toBe(
      'secret',
    );
    const validated = await runFencer(['config', 'validate', join(out, 'site', 'fencer.yaml')]);
    expect(validated.output).toContain('valid (1 cluster(s), 4 node(s))');
    const serve = await startServe(['--config', join(out, 'site', 'fencer.yaml')], {});
    expect(serve.port).toBeGreaterThan(0);
    expect(await serve.stop()).toBe(0);
  });
});
