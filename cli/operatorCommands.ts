import type { Command } from 'commander';
import { systemClock } from '../core/clock.ts';
import { type LoadedConfig, loadConfigFile } from '../core/config/load.ts';
import type { ClusterView, Incident } from '../core/protocol/api.ts';
import { clientFrom, withClientOptions } from './clientOptions.ts';
import type { PathReport } from './doctor.ts';
import { getCluster, listIncidents, unfenceNode } from './operations.ts';
import { readinessColour } from './readinessCommand.ts';
import { type Style, stateColour, styleFor, table } from './table.ts';
import { UsageError } from './usageError.ts';

const out = (text: string) => process.stdout.write(text);
const json = (value: unknown) => out(`${JSON.stringify(value, null, 2)}\n`);

export function nodesTable(view: ClusterView, style: Style): string {
  return table(
    ['NODE', 'STATE', 'READY', 'INCIDENT'],
    view.nodes.map((n) => [
      n.name,
      stateColour(style, n.state),
      readinessColour(style, n.readiness),
      n.incidentId ?? '',
    ]),
  );
}

export function incidentsTable(incidents: Incident[], style: Style): string {
  return table(
    ['CREATED', 'INCIDENT', 'TARGET', 'STATE', 'REPORTERS', 'REFUSED', 'DETAIL'],
    incidents.map((i) => [
      i.createdAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
      i.incidentId,
      i.target,
      stateColour(style, i.state),
      i.reporters.join(','),
      refusedSummary(i),
      i.refusal ? `${i.refusal.code}: ${i.refusal.detail}` : (i.attempts.at(-1)?.detail ?? ''),
    ]),
  );
}

/** `b:reporter-fenced×3`: who was refused, why, how often (the split-brain loser's side). */
function refusedSummary(incident: Incident): string {
  const counts = new Map<string, number>();
  for (const r of incident.refusedReports ?? []) {
    const key = `${r.reporter}:${r.code}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, n]) => (n > 1 ? `${key}×${n}` : key)).join(',') || '-';
}

export function registerOperatorCommands(program: Command): void {
  withClientOptions(
    program.command('status').argument('<cluster>').description('node states of a cluster'),
  )
    .option('--json', 'print JSON')
    .action(async (cluster: string, opts) => {
      const view = await getCluster(clientFrom(opts).client, cluster);
      opts.json ? json(view) : out(nodesTable(view, styleFor(process.stdout)));
    });

  withClientOptions(
    program
      .command('history')
      .argument('<cluster>')
      .description('incidents of a cluster, newest first'),
  )
    .option('--limit <n>', 'how many', '20')
    .option('--json', 'print JSON')
    .action(async (cluster: string, opts) => {
      const incidents = await listIncidents(clientFrom(opts).client, cluster, Number(opts.limit));
      opts.json ? json({ incidents }) : out(incidentsTable(incidents, styleFor(process.stdout)));
    });

  withClientOptions(
    program
      .command('unfence')
      .argument('<cluster>')
      .argument('<node>')
      .description('bring a node back to member (admin key)'),
    'admin key id: admin/NAME',
  )
    .option('--power-on', 'also power it on through the first level that can')
    .option('--json', 'print JSON')
    .action(async (cluster: string, node: string, opts) => {
      const answer = await unfenceNode(
        clientFrom(opts).client,
        cluster,
        node,
        Boolean(opts.powerOn),
      );
      if (opts.json) json(answer);
      else
        out(
          `${node}: ${answer.previous} → member${answer.powerOn ? `; power on: ${answer.powerOn.ok ? 'ok' : 'FAILED'} (${answer.powerOn.detail})` : ''}\n`,
        );
      if (answer.powerOn && !answer.powerOn.ok) process.exitCode = 1;
    });

  withClientOptions(
    program
      .command('watch')
      .argument('<cluster>')
      .description('live view of node states and incidents'),
  )
    .option('--interval <seconds>', 'refresh every', '2')
    .option('--count <n>', 'stop after n refreshes (default: until Ctrl-C)')
    .option('--json', 'print one JSON line per change')
    .action(async (cluster: string, opts) => {
      const { client } = clientFrom(opts);
      const style = styleFor(process.stdout);
      let last = '';
      for (let n = 0; opts.count === undefined || n < Number(opts.count); n++) {
        const [view, incidents] = await Promise.all([
          getCluster(client, cluster),
          listIncidents(client, cluster, 5),
        ]);
        const snapshot = JSON.stringify({ view, incidents });
        if (snapshot !== last) {
          last = snapshot;
          if (opts.json)
            out(
              `${JSON.stringify({ at: new Date().toISOString(), nodes: view.nodes, incidents })}\n`,
            );
          else
            out(
              `${process.stdout.isTTY ? '\u001b[2J\u001b[H' : ''}${cluster} at ${new Date().toISOString()}\n${nodesTable(view, style)}\n${incidentsTable(incidents, style)}\n`,
            );
        }
        if (opts.count === undefined || n + 1 < Number(opts.count))
          await systemClock.sleep(Number(opts.interval) * 1000);
      }
    });

  program
    .command('doctor')
    .description('check every fence path of every node, without fencing anything')
    .option('--config <file>', 'fencer.yaml (default: $FENCER_CONFIG)')
    .option('--cluster <name>', 'only this cluster')
    .option('--timeout <seconds>', 'per device', '20')
    .option('--json', 'print JSON')
    .action(async (opts) => {
      const file = opts.config ?? process.env.FENCER_CONFIG;
      if (!file) throw new UsageError('--config FILE or FENCER_CONFIG is required');
      const loaded = loadConfigFile(file, { skipSecrets: true });
      if (opts.cluster && !Object.hasOwn(loaded.config.clusters, opts.cluster))
        throw new UsageError(`no cluster ${opts.cluster} in ${file}`);
      const progress =
        process.stderr.isTTY && !opts.json
          ? (what: string) => process.stderr.write(`\r\u001b[2Kchecking ${what}`)
          : undefined;
      const { runDoctor } = await import('./doctor.ts');
      const relayMailbox = await openRelayMailbox(loaded);
      const reports = await runDoctor({
        loaded,
        clock: systemClock,
        ...(relayMailbox ? { relayMailbox } : {}),
        ...(opts.cluster ? { cluster: opts.cluster } : {}),
        timeoutMs: Number(opts.timeout) * 1000,
        ...(progress ? { onProgress: progress } : {}),
      });
      if (progress) process.stderr.write('\r\u001b[2K');
      opts.json
        ? json({ ok: reports.every((r) => r.ok), paths: reports })
        : out(doctorTable(reports, styleFor(process.stdout)));
      process.exitCode = reports.every((r) => r.ok) ? 0 : 1;
    });
}

export function doctorTable(reports: PathReport[], style: Style): string {
  const rows = reports.map((r) => {
    const failed = r.checks.filter((c) => !c.ok);
    const shown = failed.length > 0 ? failed : r.checks;
    return [
      `${r.cluster}/${r.node}`,
      r.level === 0 ? '-' : String(r.level),
      r.device,
      r.ok ? style.green('ok') : style.red('FAIL'),
      shown.map((c) => `${c.name}: ${c.detail}`).join('; '),
      failed
        .map((c) => c.fix ?? '')
        .filter(Boolean)
        .join('; '),
    ];
  });
  const bad = reports.filter((r) => !r.ok).length;
  return `${table(['NODE', 'LEVEL', 'PATH', 'RESULT', 'DETAIL', 'FIX'], rows)}\n${bad === 0 ? style.green(`all ${reports.length} paths ok`) : style.red(`${bad} of ${reports.length} paths failed`)}\n`;
}

/**
 * A pull-mode relay's last poll and its status action go through the ledger. On Table Storage
 * (the host's AzureWebJobsStorage and FENCER_STORAGE_PREFIX) the doctor opens its mailbox; the
 * SQLite ledger belongs to `fencer serve` alone, whose readiness view shows the last poll.
 */
async function openRelayMailbox(loaded: LoadedConfig, env = process.env) {
  const pull = Object.values(loaded.config.relays).some((r) => r.mode === 'pull');
  if (!pull || !env.AzureWebJobsStorage) return undefined;
  const [storageModule, documentsModule, storeModule, mailboxModule] = await Promise.all([
    import('../core/ledger/storage.ts'),
    import('../core/ledger/table/tableDocuments.ts'),
    import('../core/ledger/relayActionStore.ts'),
    import('../core/drivers/relayMailbox.ts'),
  ]);
  const storage = storageModule.clientsFromConnectionString(
    env.AzureWebJobsStorage,
    storageModule.storageNames(env.FENCER_STORAGE_PREFIX),
  );
  const documents = new documentsModule.TableDocuments(storage.ledger);
  return new mailboxModule.RelayMailbox(new storeModule.LedgerRelayActions(documents), systemClock);
}
