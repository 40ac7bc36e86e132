import { beforeAll, describe, expect, it } from 'vitest';
import { rules } from './support/deployRules.ts';
import { type DeploySources, loadSources, repoSources } from './support/deploySources.ts';

/**
 * What Azure, ARM or Terraform reject (or quietly get wrong) that no schema says, one rule per
 * row of issue 13 (test/infra/support/deployRules.ts); beforeIssue13.test.ts shows each rule
 * failing on the files as they were.
 */
let src: DeploySources;
beforeAll(async () => {
  src = await loadSources(repoSources);
});

describe('deployment rules', () => {
  it.each(rules.map((r) => [r.id, r] as const))('%s holds', (_, rule) => {
    expect(rule.check(src)).toEqual([]);
  });
});
