import type { Command } from 'commander';
import { configJsonSchema } from '../core/config/jsonSchema.ts';
import { loadConfigFile } from '../core/config/load.ts';

export function registerConfigCommands(program: Command): void {
  const config = program
    .command('config')
    .description('fencer.yaml: validate it, or print its JSON Schema');
  config
    .command('validate')
    .argument('<file>', 'fencer.yaml to check')
    .option('--skip-secrets', 'check the structure only; do not read env vars or secret files')
    .description('check a config file; lists every problem by path (exit 2 when invalid)')
    .action((file: string, opts: { skipSecrets?: boolean }) => {
      const loaded = loadConfigFile(file, { skipSecrets: Boolean(opts.skipSecrets) });
      const clusters = Object.entries(loaded.config.clusters);
      const nodes = clusters.reduce((sum, [, c]) => sum + Object.keys(c.nodes).length, 0);
      for (const warning of loaded.warnings) process.stderr.write(`warning: ${warning}\n`);
      process.stdout.write(`${file}: valid (${clusters.length} cluster(s), ${nodes} node(s))\n`);
    });
  config
    .command('schema')
    .description('print the JSON Schema of fencer.yaml')
    .action(() => {
      process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
    });
}
