import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/processes.ts';

/** docs/deploy.md: what a user runs before the first deployment, then the two commands. */
const doc = readFileSync(join(repoRoot, 'docs/deploy.md'), 'utf8');
const preflight = /## Pre-flight checklist\n([\s\S]*?)\n## /.exec(doc)?.[1] ?? '';

describe('the pre-flight checklist', () => {
  it('comes before the deployment steps', () => {
    expect(preflight).not.toBe('');
    expect(doc.indexOf('## Pre-flight checklist')).toBeLessThan(doc.indexOf('## 1. '));
  });

  it('checks the roles of whoever deploys, including where the custom role is created', () => {
    expect(preflight).toMatch(/Role Based Access Control Administrator/);
    expect(preflight).toMatch(/\*\*first\*\* resource group/);
    expect(preflight).toMatch(/Microsoft\.Authorization\/roleDefinitions\/write/);
    expect(preflight).toMatch(/az role assignment list --assignee/);
  });

  it('checks the region offers Flex Consumption, the providers, the vault name and the subnet', () => {
    expect(preflight).toMatch(/az functionapp list-flexconsumption-locations/);
    expect(preflight).toMatch(/az provider register -n NAME/);
    for (const provider of ['Microsoft.Web', 'Microsoft.Insights', 'Microsoft.App']) {
      expect(preflight).toContain(`\`${provider}\``);
    }
    expect(preflight).toMatch(/az keyvault list-deleted/);
    expect(preflight).toMatch(/delegations\[\]\.serviceName/);
  });

  it('sets the Entra app to v1 tokens and checks it', () => {
    expect(preflight).toMatch(
      /az ad app update --id "\$APP" --set api\.requestedAccessTokenVersion=1/,
    );
    expect(preflight).toMatch(
      /az ad app show --id "\$APP" --query api\.requestedAccessTokenVersion/,
    );
  });

  it('ends with the two commands', () => {
    const commands = /Then the two commands[\s\S]*?```sh\n([\s\S]*?)```/.exec(preflight)?.[1] ?? '';
    expect(commands).toMatch(
      /^az deployment sub create -l <region> -n fencer -f infra\/bicep\/main\.bicep -p infra\/bicep\/main\.bicepparam$/m,
    );
    expect(commands).toMatch(
      /^terraform -chdir=infra\/terraform init && terraform -chdir=infra\/terraform apply$/m,
    );
  });
});

describe('the rest of the guide', () => {
  it('names the fence identity setting and the AWS module', () => {
    expect(doc).toMatch(/`FENCER_FENCE_CLIENT_ID`/);
    expect(doc).toMatch(/cd infra\/terraform\/aws/);
    expect(doc).not.toMatch(/aws_enabled/);
  });
});
