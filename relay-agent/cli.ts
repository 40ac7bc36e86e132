import { parseArgs } from 'node:util';
import packageJson from '../package.json' with { type: 'json' };

export interface RelayArgs {
  config?: string;
  check: boolean;
}

const usage = `Usage: fencer-relay [options]

Fencer relay agent: fences on-prem targets (IPMI, VMware) for Fencer

Options:
  -V, --version        print the version and exit
  -c, --config <file>  relay.yaml (default: $FENCER_RELAY_CONFIG)
  --check              validate the config, resolve its secrets and files, then exit
  -h, --help           print this help and exit
`;

/**
 * The relay's command line (`process.argv`), with Node's own parser: a full CLI framework
 * would be the biggest module the relay loads for three options. `--help` and `--version`
 * print and exit 0; anything else it does not know exits 2 with the usage.
 */
export function parseRelayArgs(argv: readonly string[]): RelayArgs {
  let values: { config?: string; check?: boolean; help?: boolean; version?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv.slice(2),
      options: {
        config: { type: 'string', short: 'c' },
        check: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'V' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    process.stderr.write(
      `fencer-relay: ${err instanceof Error ? err.message : String(err)}\n\n${usage}`,
    );
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(usage);
    process.exit(0);
  }
  if (values.version) {
    process.stdout.write(`${packageJson.version}\n`);
    process.exit(0);
  }
  return {
    ...(values.config !== undefined ? { config: values.config } : {}),
    check: values.check ?? false,
  };
}
