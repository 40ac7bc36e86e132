import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../support/processes.ts';
import { bicepFiles } from './bicepModelCheck.ts';
import { type Declaration, parseBicep } from './bicepSyntax.ts';
import { type Json, loadTerraform } from './hcl.ts';

/**
 * Everything the deployment rules look at, read from one tree: the repository itself, or a
 * fixture of the files as they were before issue 13 (test/infra/fixtures/before-issue-13),
 * which the rules must find fault with.
 */
export interface DeploySources {
  readonly terraform: Record<string, Json>;
  /** The Azure root module's .tf files as text. */
  readonly terraformText: string;
  /** The AWS root module (infra/terraform/aws), if there is one. */
  readonly terraformAws?: Record<string, Json>;
  readonly bicepDir: string;
  /** Every Bicep file (main.bicep, modules/*.bicep) by its path under bicepDir. */
  readonly bicep: ReadonlyMap<string, Declaration[]>;
  readonly bicepText: ReadonlyMap<string, string>;
  /** docs/deploy.md. */
  readonly deployDoc: string;
  /** functions/sweeper.ts. */
  readonly sweeper: string;
}

export interface SourcePaths {
  terraformDir: string;
  bicepDir: string;
  deployDoc: string;
  sweeper: string;
}

export const repoSources: SourcePaths = {
  terraformDir: join(repoRoot, 'infra/terraform'),
  bicepDir: join(repoRoot, 'infra/bicep'),
  deployDoc: join(repoRoot, 'docs/deploy.md'),
  sweeper: join(repoRoot, 'functions/sweeper.ts'),
};

const before = join(repoRoot, 'test/infra/fixtures/before-issue-13');
export const beforeIssue13: SourcePaths = {
  terraformDir: join(before, 'terraform'),
  bicepDir: join(before, 'bicep'),
  deployDoc: join(before, 'deploy.md'),
  sweeper: join(before, 'sweeper.ts.txt'),
};

export async function loadSources(paths: SourcePaths): Promise<DeploySources> {
  const { doc, files } = await loadTerraform(paths.terraformDir);
  const awsDir = join(paths.terraformDir, 'aws');
  const bicep = new Map<string, Declaration[]>();
  const bicepText = new Map<string, string>();
  for (const file of bicepFiles(paths.bicepDir)) {
    const text = readFileSync(join(paths.bicepDir, file), 'utf8');
    bicepText.set(file, text);
    bicep.set(file, parseBicep(text));
  }
  return {
    terraform: doc,
    terraformText: files.map((f) => readFileSync(join(paths.terraformDir, f), 'utf8')).join('\n'),
    ...(existsSync(awsDir) ? { terraformAws: (await loadTerraform(awsDir)).doc } : {}),
    bicepDir: paths.bicepDir,
    bicep,
    bicepText,
    deployDoc: readFileSync(paths.deployDoc, 'utf8'),
    sweeper: readFileSync(paths.sweeper, 'utf8'),
  };
}
