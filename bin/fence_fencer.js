#!/usr/bin/env node
// Pacemaker fence agent for Fencer (fence-agents API). Runs the TypeScript sources with tsx.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/fenceAgent/main.ts');
process.exitCode = await main(process.argv.slice(2));
