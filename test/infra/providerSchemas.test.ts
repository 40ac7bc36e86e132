import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { describe, expect, it } from 'vitest';
import type { Json } from './support/hcl.ts';
import { loadTerraform, terraformDir } from './support/hcl.ts';
import { schemaFindings } from './support/terraformCheck.ts';
import { providerSchema } from './support/terraformSchema.ts';

/**
 * infra/terraform against the providers' own schemas, as the prebuilt CDKTF bindings carry
 * them (no provider can run here, so `terraform validate` cannot).
 */
describe('Terraform against the provider schemas', () => {
  it('reads the schemas of the pinned minimum releases', () => {
    // Each binding says which provider release it was generated from (package.json cdktf.provider).
    expect(providerSchema('azurerm')).toMatchObject({
      version: '4.46.0',
      packageVersion: '14.14.0',
    });
    expect(providerSchema('aws')).toMatchObject({ version: '6.0.0', packageVersion: '21.0.0' });
  });

  it.each([
    ['the Azure root module', terraformDir],
    ['the AWS root module', join(terraformDir, 'aws')],
  ])('%s: every type and argument exists, every required one is given', async (_, dir) => {
    const { doc } = await loadTerraform(dir);
    expect(schemaFindings(doc)).toEqual([]);
  });

  it('finds an unknown type, an unknown or misplaced argument and a missing required one', async () => {
    // Prepare
    const doc = (await parse(
      'bad.tf',
      `
provider "azurerm" {
  features {}
  no_such_setting = true
}
resource "azurerm_storage_queue" "q" {
  name                 = "q"
  storage_account_id   = "x"
  metadata             = { a = "b" }
  timeouts { create = "5m" }
  timeouts { read = "5m" }
}
resource "azurerm_storage_table" "t" {
  name               = "t"
  storage_account_id = "x"
}
resource "azurerm_function_app_flex_consumption" "f" {
  name = "f"
  site_config = {}
  dynamic "always_ready" {
    for_each = [1]
    content {
      name           = "http"
      instance_count = 1
      warm           = true
    }
  }
}
resource "azurerm_no_such_thing" "n" {}
data "aws_iam_policy_document" "p" {
  statement {
    actions = ["s3:*"]
    nope    = 1
  }
}
`,
    )) as Record<string, Json>;
    // Act
    const found = schemaFindings(doc).map((f) => `${f.at}: ${f.problem}`);
    // Assess
    expect(found).toEqual(
      expect.arrayContaining([
        'provider "azurerm": no_such_setting is not an argument of azurerm 4.46.0',
        'resource "azurerm_storage_queue" "q": timeouts may be given once in azurerm_storage_queue in azurerm 4.46.0',
        'resource "azurerm_storage_table" "t": storage_account_id is not an argument of azurerm_storage_table in azurerm 4.46.0',
        'resource "azurerm_storage_table" "t": storage_account_name is required by azurerm_storage_table in azurerm 4.46.0',
        'resource "azurerm_function_app_flex_consumption" "f": site_config is a block of azurerm_function_app_flex_consumption in azurerm 4.46.0, not an argument',
        'resource "azurerm_function_app_flex_consumption" "f".always_ready: warm is not an argument of azurerm_function_app_flex_consumption in azurerm 4.46.0',
        'resource "azurerm_function_app_flex_consumption" "f": location is required by azurerm_function_app_flex_consumption in azurerm 4.46.0',
        'resource "azurerm_no_such_thing" "n": azurerm_no_such_thing is not a resource type of azurerm 4.46.0',
        'data "aws_iam_policy_document" "p".statement: nope is not an argument of aws_iam_policy_document in aws 6.0.0',
      ]),
    );
    expect(found.filter((f) => f.includes('"q"'))).toHaveLength(1); // metadata is an argument
  });
});
