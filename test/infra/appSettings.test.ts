import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { storageNames } from '../../core/ledger/storage.ts';
import { appSettings } from '../../functions/settings.ts';
import { repoRoot } from '../support/processes.ts';
import { readBicep, section, settings } from './support/bicep.ts';
import { type Json, list, loadTerraform } from './support/hcl.ts';

/**
 * Every app setting the Functions code reads (functions/settings.ts `appSettings`) is set by
 * both deployments, or deliberately left unset by both.
 */
const deployed = Object.entries(appSettings).filter(([, s]) => s.deployment === 'set');
const unset = Object.entries(appSettings).filter(([, s]) => s.deployment !== 'set');

const bicepApp = readBicep('modules/functionApp.bicep');
const bicepSettings = settings(section(bicepApp, 'var fencerSettings ='));
let terraformSettings: Record<string, Json>;
let terraformText: string;

beforeAll(async () => {
  const { doc, files } = await loadTerraform();
  const locals = list(doc.locals).find((l) => l.fencer_settings !== undefined);
  terraformSettings = (locals?.fencer_settings ?? {}) as Record<string, Json>;
  terraformText = files
    .map((f) => readFileSync(join(repoRoot, 'infra/terraform', f), 'utf8'))
    .join('\n');
});

describe('app settings the code reads', () => {
  it('are listed in one place: functions/ reads the environment only through it', () => {
    // Any `env.NAME` or `env['NAME']` in functions/ outside settings.ts would be a setting the
    // table (and so the deployments) could miss.
    const dir = join(repoRoot, 'functions');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'settings.ts')) {
      const code = readFileSync(join(dir, file), 'utf8');
      expect(code, file).not.toMatch(/\benv(?:\.[A-Za-z_]|\[['"])/);
    }
    expect(deployed.length).toBeGreaterThan(0);
  });

  it.each(deployed.map(([name]) => name))('%s is set by Bicep and by Terraform', (name) => {
    expect(bicepSettings.has(name), 'bicep').toBe(true);
    expect(terraformSettings, 'terraform').toHaveProperty([name]);
  });

  it.each(unset.map(([name]) => name))('%s is left unset by both', (name) => {
    expect(bicepApp).not.toMatch(new RegExp(`name: '${name}'`));
    expect(terraformText).not.toMatch(new RegExp(`^\\s*${name}\\s*=`, 'm'));
  });

  it('get the same values from both deployments', () => {
    // Bicep names its inputs after Terraform's resources; compare what is literal.
    const literal = (value: string | undefined) => value?.replace(/^'(.*)'$/, '$1');
    expect(literal(bicepSettings.get('FENCER_CONFIG'))).toBe(terraformSettings.FENCER_CONFIG);
    expect(literal(bicepSettings.get('AzureWebJobsStorage__credential'))).toBe(
      terraformSettings.AzureWebJobsStorage__credential,
    );
    // The queue triggers listen on fencer-fence(-poison): the prefix must stay `fencer`.
    const prefix = literal(bicepSettings.get('FENCER_STORAGE_PREFIX'));
    expect(prefix).toBe(terraformSettings.FENCER_STORAGE_PREFIX);
    expect(storageNames(prefix).fenceQueue).toBe('fencer-fence');
    // Both set the code's settings and nothing else under that name (host settings apart).
    const names = deployed.map(([name]) => name).sort();
    expect([...bicepSettings.keys()].sort()).toEqual(names);
    expect(Object.keys(terraformSettings).sort()).toEqual(names);
  });
});
