import type { Rule } from './ruleSupport.ts';
import { sharedRules } from './sharedRules.ts';
import { terraformRules } from './terraformRules.ts';

export type { Rule } from './ruleSupport.ts';

/** Every deployment rule (test/infra/deployRules.test.ts, beforeIssue13.test.ts). */
export const rules: Rule[] = [...terraformRules, ...sharedRules];
