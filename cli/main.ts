import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { ConfigError } from '../core/config/issues.ts';
import { errorMessage } from '../core/errors.ts';
import { clientFrom, withClientOptions } from './clientOptions.ts';
import { registerConfigCommands } from './configCommands.ts';
import { registerImportCommand } from './importStonithConf.ts';
import { registerOperatorCommands } from './operatorCommands.ts';
import { sendReport } from './report.ts';
import { registerServeCommands } from './serveCommands.ts';
import { UsageError } from './usageError.ts';
import { version } from './version.ts';

const integer = (min: number, max: number) => (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
  }
  return Number(value);
};

export function buildProgram(): Command {
  const program = new Command('fencer')
    .description('Fencer: one central, verified, audited fencing decision for HA clusters')
    .version(version)
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) });

  registerServeCommands(program);

  withClientOptions(
    program
      .command('report')
      .description('report a peer as suspected dead; exit 0 only when it is verified fenced')
      .requiredOption('--target <node>', 'the node suspected dead'),
    "this node's key id: CLUSTER/NODE",
  )
    .option('--cluster <name>', 'cluster (must match the key id)')
    .option('--reason <text>', 'why the peer is suspected')
    .option('--event-id <id>', 'idempotency key (random by default, reused across retries)')
    .option('--wait <seconds>', 'wait this long for the verdict', integer(0, 3600), 300)
    .option('--json', 'print the incident as JSON')
    .action(async (opts) => {
      const { url, keyId, secret } = clientFrom(opts);
      if (keyId.startsWith('admin/'))
        throw new UsageError('reports are signed by a node key (CLUSTER/NODE)');
      if (opts.cluster && opts.cluster !== keyId.split('/')[0])
        throw new UsageError('--cluster does not match --key-id');
      const result = await sendReport({
        url,
        keyId,
        secret,
        target: opts.target,
        waitSeconds: opts.wait,
        ...(opts.reason ? { reason: opts.reason } : {}),
        ...(opts.eventId ? { eventId: opts.eventId } : {}),
      });
      if (opts.json)
        process.stdout.write(
          `${JSON.stringify(result.incident ?? { code: result.code, message: result.message }, null, 2)}\n`,
        );
      else process.stdout.write(`${result.message}\n`);
      process.exitCode = result.exit;
    });

  registerOperatorCommands(program);
  registerImportCommand(program);
  registerConfigCommands(program);
  return program;
}

/** Exit codes: 0 ok; 1 operation failed; 2 usage or invalid config; 3 wait timed out. */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed its message (help and --version exit 0).
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`fencer: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(
        `fencer: invalid config ${err.file}\n${err.issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}\n`,
      );
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`fencer: ${errorMessage(err)}\n`);
    process.exitCode = 1;
  }
}
