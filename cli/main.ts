import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { ConfigError } from '../core/config/issues.ts';
import { errorMessage } from '../core/errors.ts';
import { clientFrom, withClientOptions } from './clientOptions.ts';
import { sendReport } from './report.ts';
import { oneLine, processStartedAt } from './retry.ts';
import { registerServeCommands } from './serveCommands.ts';
import { UsageError } from './usageError.ts';
import { version } from './version.ts';

const integer = (min: number, max: number) => (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
  }
  return Number(value);
};

/** Set by `serve`: the process now belongs to the server, main's end is not the command's. */
let serving = false;

export async function buildProgram(argv: string[]): Promise<Command> {
  const program = new Command('fencer')
    .description('Fencer: one central, verified, audited fencing decision for HA clusters')
    .version(version)
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) });

  // `fencer serve` and `fencer backup`; their modules load only when they run.
  registerServeCommands(program, () => {
    serving = true;
  });

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
    .option('--reboot', 'power the peer on again once it is verified off (exit 0 at the off)')
    .option(
      '--wait <seconds>',
      'wait this long for the verdict, retries included (0: return after the first answer, within 10 s)',
      integer(0, 3600),
      300,
    )
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
        startedAt: processStartedAt(),
        ...(opts.reason ? { reason: opts.reason } : {}),
        ...(opts.eventId ? { eventId: opts.eventId } : {}),
        ...(opts.reboot ? { action: 'reboot' as const } : {}),
      });
      if (opts.json)
        process.stdout.write(
          `${JSON.stringify(result.incident ?? { code: result.code, message: result.message }, null, 2)}\n`,
        );
      else if (result.exit === 0) process.stdout.write(`${result.message}\n`);
      // Whatever went wrong is said on stderr, in one line, --json or not.
      if (result.exit !== 0) process.stderr.write(`fencer: ${result.message}\n`);
      process.exitCode = result.exit;
    });

  // `fencer report` runs in a failover hook against a deadline that counts from its start: it
  // does not load the other commands' modules (config schema, importer, doctor), about a
  // second of start-up on a busy machine.
  if (argv[2] !== 'report') {
    const [operator, readiness, importer, config] = await Promise.all([
      import('./operatorCommands.ts'),
      import('./readinessCommand.ts'),
      import('./importStonithConf.ts'),
      import('./configCommands.ts'),
    ]);
    operator.registerOperatorCommands(program);
    readiness.registerReadinessCommand(program);
    importer.registerImportCommand(program);
    config.registerConfigCommands(program);
  }
  return program;
}

/**
 * Exit codes: 0 ok; 1 operation failed; 2 usage or invalid config; 3 wait timed out. Resolves
 * to the code once the command is done, or to undefined when `serve` keeps the process running.
 */
export async function main(argv: string[]): Promise<number | undefined> {
  await run(argv);
  return serving ? undefined : Number(process.exitCode ?? 0);
}

async function run(argv: string[]): Promise<void> {
  try {
    await (await buildProgram(argv)).parseAsync(argv);
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
    process.stderr.write(`fencer: ${oneLine(errorMessage(err))}\n`);
    process.exitCode = 1;
  }
}
