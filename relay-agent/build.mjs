// `npm run build:relay`: the relay agent as one ESM file (dist/fencer-relay.mjs) that runs on a
// bare Node 20 at the site: no node_modules, no tsx. Install it with relay-agent/install.sh.
import { chmod } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = resolve(root, process.argv[2] ?? 'dist/fencer-relay.mjs');

await build({
  stdin: {
    contents: "import { main } from './relay-agent/main.ts';\nawait main(process.argv);\n",
    resolveDir: root,
    sourcefile: 'fencer-relay-entry.ts',
    loader: 'ts',
  },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile,
  legalComments: 'none',
  // Whitespace and comments out, names kept (stack traces in the relay's log stay readable).
  // The whole file is V8's source string for as long as the relay runs: smaller, and ASCII
  // only (a single non-ASCII character in a kept comment made it two bytes per character),
  // it holds about 3 MiB less of the relay's memory.
  minifyWhitespace: true,
  minifySyntax: true,
  charset: 'ascii',
  logLevel: 'warning',
  // Bundled CommonJS packages (pino, axios's deps) call require() for Node built-ins.
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __fencerCreateRequire } from 'node:module';\nconst require = __fencerCreateRequire(import.meta.url);",
  },
});
await chmod(outfile, 0o755);
process.stdout.write(`built ${outfile}\n`);
