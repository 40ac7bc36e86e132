import { Command } from 'commander';
import { systemClock } from '../core/clock.ts';
import { ConfigError } from '../core/config/issues.ts';
import { errorMessage } from '../core/errors.ts';
import packageJson from '../package.json' with { type: 'json' };
import { createRelayLogger } from './audit.ts';
import { loadRelayConfig } from './loadConfig.ts';
import { childEnvOf, createProcessRunner } from './runner.ts';
import { RelayServer } from './server.ts';

/**
 * Composition root of `fencer-relay`: reads the environment and the config, builds the runner,
 * logger and server, and wires the signals (SIGHUP reloads, SIGTERM/SIGINT stop gracefully).
 * Exit codes: 0 stopped, 1 failed at run time, 2 bad usage or config.
 */
export async function main(argv: readonly string[]): Promise<void> {
  const program = new Command('fencer-relay')
    .description('Fencer relay agent: fences on-prem targets (IPMI, VMware) for Fencer')
    .version(packageJson.version)
    .option('-c, --config <file>', 'relay.yaml (default: $FENCER_RELAY_CONFIG)')
    .option('--check', 'validate the config, resolve its secrets and files, then exit')
    .parse([...argv]);
  const options = program.opts<{ config?: string; check?: boolean }>();
  const file = options.config ?? process.env['FENCER_RELAY_CONFIG'];
  if (!file) {
    process.stderr.write('fencer-relay: --config FILE or FENCER_RELAY_CONFIG is required\n');
    process.exit(2);
  }
  const logger = createRelayLogger();
  let config: ReturnType<typeof loadRelayConfig>;
  try {
    config = loadRelayConfig(file);
  } catch (err) {
    process.stderr.write(`fencer-relay: ${errorMessage(err)}\n`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  }
  if (options.check) {
    for (const warning of config.warnings) process.stderr.write(`warning: ${warning}\n`);
    process.stdout.write(
      `${config.file}: ok (${config.targets.size} target(s), ${config.keys.size} key(s))\n`,
    );
    return;
  }
  for (const warning of config.warnings) logger.warn(warning);

  const server = new RelayServer(config, {
    clock: systemClock,
    runner: createProcessRunner(),
    logger,
    childEnv: childEnvOf(process.env),
  });
  try {
    await server.start();
  } catch (err) {
    logger.fatal({ err }, `cannot listen: ${errorMessage(err)}`);
    process.exit(1);
  }

  process.on('SIGHUP', () => {
    try {
      const next = loadRelayConfig(file);
      for (const warning of next.warnings) logger.warn(warning);
      server.reload(next);
    } catch (err) {
      logger.error({ err: errorMessage(err) }, 'reload failed; the running config stays in force');
    }
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: stopping after the actions in flight`);
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err: errorMessage(err) }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
