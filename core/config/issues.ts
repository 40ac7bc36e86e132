import type { z } from 'zod';

/** One problem in a config file, addressed by path: `clusters.prod-db.nodes.node-a.levels[0]`. */
export interface ConfigIssue {
  path: string;
  message: string;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out === '' ? '(root)' : out;
}

export function fromZodIssues(issues: readonly z.core.$ZodIssue[]): ConfigIssue[] {
  return issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return {
        path: formatPath(issue.path),
        message: `unknown field(s): ${issue.keys.join(', ')}`,
      };
    }
    if (issue.code === 'invalid_union') {
      return { path: formatPath(issue.path), message: unionMessage(issue) };
    }
    return { path: formatPath(issue.path), message: issue.message };
  });
}

/** Zod reports a failed union as one issue; name the keys that would have been accepted. */
function unionMessage(issue: z.core.$ZodIssueInvalidUnion): string {
  const inner = issue.errors.flat();
  const keys = inner
    .filter((i) => i.code === 'unrecognized_keys')
    .flatMap((i) => (i.code === 'unrecognized_keys' ? i.keys : []));
  if (keys.length > 0) return `unknown field(s): ${[...new Set(keys)].join(', ')}`;
  const first = inner[0];
  if (first) return `${formatPath(first.path)}: ${first.message}`;
  return issue.message;
}

export class ConfigError extends Error {
  readonly code = 'config-invalid';
  constructor(
    readonly file: string,
    readonly issues: ConfigIssue[],
  ) {
    super(
      `${file}: ${issues.length} problem(s)\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}
