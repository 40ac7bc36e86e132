#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx), so a fresh clone needs no build step.
// Ends only in the documented exit codes, with the reason on stderr: see runGuarded.
import { runGuarded } from './exitGuard.js';

runGuarded('fencer: ', 1, async () => {
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../cli/main.ts');
  return main(process.argv);
});
