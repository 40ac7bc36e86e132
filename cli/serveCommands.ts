import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { type ListenAddress, parseListen } from './listenAddress.ts';
import { UsageError } from './usageError.ts';

const port = (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) > 65535)
    throw new InvalidArgumentError('must be an integer from 0 to 65535');
  return Number(value);
};

interface ServeFlags {
  config?: string;
  port?: number;
  listen?: string;
  tlsCert?: string;
  tlsKey?: string;
  dataDir?: string;
  demo?: boolean;
}

/**
 * `fencer serve` and `fencer backup`: the local host and its ledger file. `onServe` is told
 * when the process starts to belong to the server (its main no longer decides the exit).
 */
export function registerServeCommands(program: Command, onServe: () => void = () => {}): void {
  program
    .command('serve')
    .description('run the API, the fence worker and the sweeper locally (SQLite ledger)')
    .option('--config <file>', 'fencer.yaml (default: $FENCER_CONFIG)')
    .option('--port <port>', 'port on 127.0.0.1 (0 picks a free one; default 7071)', port)
    .option('--listen <host:port>', 'address to serve on instead of --port, e.g. 0.0.0.0:7071')
    .option('--tls-cert <file>', 'PEM certificate (chain) for HTTPS; reloaded on SIGHUP')
    .option('--tls-key <file>', 'PEM private key for HTTPS')
    .option('--data-dir <dir>', 'keep the ledger here (fencer.db, durable); default in memory')
    .option('--demo', 'create the demo key files next to the config when missing')
    .action(async (opts: ServeFlags) => {
      const config = opts.config ?? process.env.FENCER_CONFIG;
      if (!config) throw new UsageError('--config FILE or FENCER_CONFIG is required');
      if (opts.listen !== undefined && opts.port !== undefined)
        throw new UsageError('--listen and --port exclude each other');
      if (Boolean(opts.tlsCert) !== Boolean(opts.tlsKey))
        throw new UsageError('--tls-cert and --tls-key go together');
      const listen: ListenAddress = opts.listen
        ? parseListen(opts.listen)
        : { host: '127.0.0.1', port: opts.port ?? 7071 };
      // Loaded here, not at the top: `fencer report` and the other commands start without the
      // host's modules (the ledger, the HTTP host, the worker).
      const [{ serve }, { prepareDemo }] = await Promise.all([
        import('./serve.ts'),
        import('./demo.ts'),
      ]);
      if (opts.demo) await prepareDemo(config);
      onServe();
      await serve({
        config,
        listen,
        ...(opts.tlsCert && opts.tlsKey
          ? { tls: { certFile: opts.tlsCert, keyFile: opts.tlsKey } }
          : {}),
        ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
      });
    });

  program
    .command('backup')
    .description("copy the local host's ledger (fencer.db) while it runs (SQLite online backup)")
    .argument('<file>', 'the copy to write (0600; restore by putting it in place of fencer.db)')
    .requiredOption('--data-dir <dir>', "the serve command's --data-dir")
    .action(async (file: string, opts: { dataDir: string }) => {
      // The native addon loads for this command and `serve` only, not for `fencer report`.
      const { backupLedger } = await import('./backup.ts');
      const { pages } = await backupLedger(opts.dataDir, file);
      process.stdout.write(`backed up ${pages} pages to ${file}\n`);
    });
}
