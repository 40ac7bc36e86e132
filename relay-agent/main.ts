import { systemClock } from '../core/clock.ts';
import { ConfigError } from '../core/config/issues.ts';
import { errorMessage } from '../core/errors.ts';
import { ActionService } from './actionService.ts';
import { createRelayLogger } from './audit.ts';
import { parseRelayArgs } from './cli.ts';
import { loadRelayConfig } from './loadConfig.ts';
import { PullLoop } from './pullLoop.ts';
import { childEnvOf, createProcessRunner } from './runner.ts';
import { RelayServer } from './server.ts';

/**
 * Composition root of `fencer-relay`: reads the environment and the config, builds the runner,
 * logger, the HTTPS server (push, with `listen`) and the pull loop (with `pull`), and wires the signals (SIGHUP reloads, SIGTERM/SIGINT stop gracefully).
 * Exit codes: 0 stopped, 1 failed at run time, 2 bad usage or config.
 */
export async function main(argv: readonly string[]): Promise<void> {
  const options = parseRelayArgs(argv);
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
    const modes = [
      ...(config.listen ? [`listens on ${config.listen.host}:${config.listen.port}`] : []),
      ...(config.pull ? [`polls ${config.pull.url} as ${config.pull.keyName}`] : []),
    ];
    process.stdout.write(
      `${config.file}: ok (${config.targets.size} target(s), ${config.keys.size} key(s); ${modes.join(', ')})\n`,
    );
    return;
  }
  for (const warning of config.warnings) logger.warn(warning);

  const deps = {
    clock: systemClock,
    runner: createProcessRunner(),
    logger,
    childEnv: childEnvOf(process.env),
  };
  // One service for both ways in: a nonce or requestId seen one way is known the other way.
  const service = new ActionService(config, deps);
  const server = config.listen ? new RelayServer(config, deps, service) : undefined;
  const pull = config.pull ? new PullLoop(config, { ...deps, service }) : undefined;
  try {
    await server?.start();
  } catch (err) {
    logger.fatal({ err }, `cannot listen: ${errorMessage(err)}`);
    process.exit(1);
  }
  pull?.start();

  process.on('SIGHUP', () => {
    try {
      const next = loadRelayConfig(file);
      for (const warning of next.warnings) logger.warn(warning);
      if (Boolean(next.listen) !== Boolean(server) || Boolean(next.pull) !== Boolean(pull))
        logger.warn('listen or pull was added or removed: that takes effect after a restart');
      server?.reload(next);
      if (next.pull) pull?.reload(next);
      if (!server && !pull) service.reload(next);
    } catch (err) {
      logger.error({ err: errorMessage(err) }, 'reload failed; the running config stays in force');
    }
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: stopping after the actions in flight`);
    Promise.all([pull?.stop(), server?.stop()]).then(
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
