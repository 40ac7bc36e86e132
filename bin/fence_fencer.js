#!/usr/bin/env node
// Pacemaker fence agent for Fencer (fence-agents API). Runs the TypeScript sources with tsx.
// Exit codes are fence-agents' only (0, 1, and 2 for `status` off), whatever happens: see runGuarded.
import { runGuarded } from './exitGuard.js';

runGuarded('Failed: ', 1, async () => {
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../cli/fenceAgent/main.ts');
  return main(process.argv.slice(2));
});
