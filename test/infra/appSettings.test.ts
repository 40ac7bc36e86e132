import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { storageNames } from '../../core/ledger/storage.ts';
import { appSettings } from '../../functions/settings.ts';
import { repoRoot } from '../support/processes.ts';
import { readBicep, section, settings } from './support/bicep.ts';
import { type Json, loadTerraform, resources, settingsOf } from './support/hcl.ts';

/**
 * Every app setting the Functions code reads (functions/settings.ts `appSettings`) is set by
 * both deployments, or deliberately left unset (or blank) by both.
 */
const table = Object.entries(appSettings);
const deployed = table.filter(([, s]) => s.deployment === 'set');
const unset = table.filter(([, s]) => typeof s.deployment === 'object' && 'unset' in s.deployment);
const blank = table.filter(([, s]) => typeof s.deployment === 'object' && 'blank' in s.deployment);

const bicepApp = readBicep('modules/functionApp.bicep');
const bicepSettings = settings(section(bicepApp, 'var fencerSettings ='));
/** Per Terraform function app resource: the settings the app ends up with. */
let terraformApps: Map<string, Map<string, Json>>;
let terraformText: string;

beforeAll(async () => {
  const { doc, files } = await loadTerraform();
  terraformApps = new Map();
  for (const type of ['azurerm_function_app_flex_consumption', 'azurerm_linux_function_app']) {
    for (const [name, app] of resources(doc, type)) {
      const effective = settingsOf(doc, app.app_settings);
      // storage_uses_managed_identity: the provider writes the account name itself.
      if (app.storage_uses_managed_identity === true && app.storage_account_name !== undefined) {
        effective.set('AzureWebJobsStorage__accountName', app.storage_account_name);
      }
      terraformApps.set(`${type}.${name}`, effective);
    }
  }
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
    expect(terraformApps.size).toBe(2);
  });

  it.each(deployed.map(([name]) => name))('%s is set by Bicep and by Terraform', (name) => {
    expect(bicepSettings.has(name), 'bicep').toBe(true);
    for (const [app, effective] of terraformApps) expect(effective.has(name), app).toBe(true);
  });

  it.each(unset.map(([name]) => name))('%s is left unset by both', (name) => {
    expect(bicepApp).not.toMatch(new RegExp(`name: '${name}'`));
    expect(terraformText).not.toMatch(new RegExp(`^\\s*${name}\\s*=`, 'm'));
  });

  it.each(blank.map(([name]) => name))('%s is never given a value', (name) => {
    expect(bicepApp).not.toMatch(new RegExp(`name: '${name}', value: '[^']`));
    for (const [app, effective] of terraformApps) {
      if (effective.has(name)) expect(effective.get(name), app).toBe('');
    }
  });

  it('get the same values from both deployments', () => {
    // Bicep names its inputs after Terraform's resources; compare what is literal.
    const literal = (value: string | undefined) => value?.replace(/^'(.*)'$/, '$1');
    for (const [app, effective] of terraformApps) {
      expect(literal(bicepSettings.get('FENCER_CONFIG')), app).toBe(effective.get('FENCER_CONFIG'));
      expect(literal(bicepSettings.get('AzureWebJobsStorage__credential')), app).toBe(
        effective.get('AzureWebJobsStorage__credential'),
      );
      // The queue triggers listen on fencer-fence(-poison): the prefix must stay `fencer`.
      const prefix = literal(bicepSettings.get('FENCER_STORAGE_PREFIX'));
      expect(prefix, app).toBe(effective.get('FENCER_STORAGE_PREFIX'));
      expect(storageNames(prefix).fenceQueue).toBe('fencer-fence');
      expect(effective.get('FENCER_FENCE_CLIENT_ID'), app).toBe(
        `$\{azurerm_user_assigned_identity.fence.client_id}`,
      );
    }
    // Bicep sets the code's settings and nothing else under that name (host settings apart).
    expect([...bicepSettings.keys()].sort()).toEqual(deployed.map(([name]) => name).sort());
  });
});
