import type { Command } from 'commander';
import type { ReadinessView } from '../core/protocol/readiness.ts';
import { clientFrom, withClientOptions } from './clientOptions.ts';
import { ApiProblem } from './operations.ts';
import { type Style, styleFor, table } from './table.ts';

export function readinessColour(style: Style, word: string): string {
  if (word === 'ready' || word === 'ok') return style.green(word);
  if (word === 'unfenceable' || word === 'failing') return style.red(word);
  return style.yellow(word);
}

/** `fencer readiness CLUSTER`: every device of every level of every node, the doctor's look. */
export function readinessTable(view: ReadinessView, style: Style): string {
  const rows = view.nodes.flatMap((node) =>
    node.levels.flatMap((level) =>
      level.devices.map((device) => [
        node.name,
        readinessColour(style, node.readiness),
        String(level.level),
        device.description || device.driver,
        readinessColour(style, device.status),
        device.powerState,
        device.since ? device.since.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-',
        device.detail,
      ]),
    ),
  );
  const worst = view.nodes.filter((n) => n.readiness !== 'ready');
  const summary =
    worst.length === 0
      ? style.green(`every node of ${view.cluster} is ready`)
      : style.red(worst.map((n) => `${n.name} is ${n.readiness}`).join('; '));
  return `${table(['NODE', 'READY', 'LEVEL', 'DEVICE', 'STATUS', 'POWER', 'SINCE', 'DETAIL'], rows)}\n${summary}\n`;
}

export function registerReadinessCommand(program: Command): void {
  withClientOptions(
    program
      .command('readiness')
      .argument('<cluster>')
      .description('every fence path of every node as the last readiness check found it'),
    'key id: CLUSTER/NODE, viewer/NAME or admin/NAME',
  )
    .option('--json', 'print JSON')
    .action(async (cluster: string, opts) => {
      const { client } = clientFrom(opts);
      const answer = await client.request(
        'GET',
        `/v1/clusters/${encodeURIComponent(cluster)}/readiness`,
      );
      if (answer.status !== 200) throw new ApiProblem(answer.status, answer.body);
      const view = answer.body as ReadinessView;
      if (opts.json) process.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
      else process.stdout.write(readinessTable(view, styleFor(process.stdout)));
      process.exitCode = view.nodes.some((n) => n.readiness === 'unfenceable') ? 1 : 0;
    });
}
