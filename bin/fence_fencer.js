#!/usr/bin/env node
// Pacemaker fence agent for Fencer (fence-agents API). Runs the TypeScript sources compiled into
// one file, rebuilt whenever a source changed (or through tsx when that cannot be written): see
// importCompiled. Exit codes are fence-agents' only (0, 1, and 2 for `status` off), whatever
// happens: see runGuarded.
import { importCompiled } from './compiledEntry.js';
import { runGuarded } from './exitGuard.js';

runGuarded('Failed: ', 1, async () => {
  const { main } = await importCompiled('cli/fenceAgent/main.ts', { name: 'fence_fencer' });
  return main(process.argv.slice(2));
});
