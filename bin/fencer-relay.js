#!/usr/bin/env node
// Runs the relay agent's TypeScript sources directly (tsx), like bin/fencer.js. Sites install
// the single-file build instead (`npm run build:relay` → dist/fencer-relay.mjs, no tsx).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../relay-agent/main.ts');
await main(process.argv);
