import { readFileSync } from 'node:fs';
import type { ClusterView, Incident } from '../core/protocol/api.ts';
import { startBenchServer } from './server.ts';

/**
 * `npm run soak [-- --minutes 10 --rate 20 --clusters 100]`: a steady rate of mixed reports over
 * many clusters (random reporter and target, some retried with the same eventId), with fenced
 * nodes unfenced again so fencing keeps happening. At the end, after a drain:
 * - no lost incident: every incident id an answer named is in its cluster's history, terminal;
 * - no answer was a 5xx;
 * - the server's RSS after warm-up grew less than the bound (sampled every 10 s).
 * Exits 1 when a check fails.
 */
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const minutes = arg('minutes', 10);
const rate = arg('rate', 20);
const clusterCount = arg('clusters', 100);
const rssBoundMiB = arg('rss-bound', 64);
const nodes = ['a', 'b', 'c', 'd', 'e'];

const spec = {
  maxConcurrentFences: 2,
  fenceDeadlineSeconds: 30,
  nodes: Object.fromEntries(
    nodes.map((n) => [
      n,
      { levels: [[{ dummy: { statusFile: `state/${n}.json`, offDelayMs: 300 } }]] },
    ]),
  ),
};
const names = Array.from({ length: clusterCount }, (_, i) => `soak-${i}`);
const server = await startBenchServer(Object.fromEntries(names.map((n) => [n, spec])));
const rss = () =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))?.[1] ?? 0) /
  1024;
const admin = server.client('admin/ops');
const pick = <T>(xs: readonly T[]) => xs[Math.floor(Math.random() * xs.length)] as T;

const seen = new Map<string, Set<string>>(names.map((n) => [n, new Set<string>()]));
const statuses: Record<number, number> = {};
const samples: { atS: number; rssMiB: number }[] = [];
const started = Date.now();
const endAt = started + minutes * 60_000;
let sent = 0;

const report = async () => {
  const cluster = pick(names);
  const reporter = pick(nodes);
  const target = pick(nodes.filter((n) => n !== reporter));
  const body = {
    target,
    reason: 'soak',
    ...(Math.random() < 0.3
      ? { eventId: `soak-${cluster}-${reporter}-${target}-${Math.floor(Date.now() / 5000)}` }
      : {}),
  };
  const answer = await server
    .client(`${cluster}/${reporter}`)
    .request('POST', `/v1/clusters/${cluster}/reports`, body);
  statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
  const id = (answer.body as { incidentId?: string }).incidentId;
  if (id) seen.get(cluster)?.add(id);
};

const unfenceSome = async () => {
  const cluster = pick(names);
  const view = (await admin.request('GET', `/v1/clusters/${cluster}`)).body as ClusterView;
  for (const node of view.nodes.filter((n) => n.state === 'fenced' || n.state === 'failed')) {
    await admin.request('POST', `/v1/clusters/${cluster}/nodes/${node.name}/unfence`, {
      powerOn: true,
    });
  }
};

const inFlight = new Set<Promise<void>>();
const track = (p: Promise<void>) => {
  const t = p
    .catch((err) => console.error(`request failed: ${err}`))
    .finally(() => inFlight.delete(t));
  inFlight.add(t);
};
let nextSample = started;
while (Date.now() < endAt) {
  const due = Math.floor(((Date.now() - started) / 1000) * rate);
  while (sent < due && inFlight.size < 64) {
    sent++;
    track(report());
    if (sent % 10 === 0) track(unfenceSome());
  }
  if (Date.now() >= nextSample) {
    samples.push({ atS: Math.round((Date.now() - started) / 1000), rssMiB: Math.round(rss()) });
    nextSample += 10_000;
  }
  await new Promise((r) => setTimeout(r, 20));
}
await Promise.all(inFlight);
process.stdout.write(
  `sent ${sent} reports in ${minutes} min; statuses ${JSON.stringify(statuses)}; draining…\n`,
);
await new Promise((r) => setTimeout(r, 40_000)); // fence deadline 30 s + sweeper

let lost = 0;
let open = 0;
let total = 0;
for (const cluster of names) {
  const history = (await admin.request('GET', `/v1/clusters/${cluster}/incidents?limit=200`))
    .body as { incidents: Incident[] };
  const byId = new Map(history.incidents.map((i) => [i.incidentId, i]));
  for (const id of seen.get(cluster) ?? []) {
    total++;
    const incident = byId.get(id);
    if (!incident) lost++;
    else if (!['fenced', 'failed', 'refused'].includes(incident.state)) open++;
  }
}
await server.stop();

const warm = samples.filter((s) => s.atS >= Math.min(120, (minutes * 60) / 5));
const growth = warm.length > 1 ? (warm.at(-1)?.rssMiB ?? 0) - (warm[0]?.rssMiB ?? 0) : 0;
const maxRss = Math.max(...samples.map((s) => s.rssMiB));
const fiveXX = Object.entries(statuses)
  .filter(([s]) => Number(s) >= 500)
  .reduce((n, [, c]) => n + c, 0);
process.stdout.write(
  `incidents named in answers: ${total}; lost: ${lost}; still open after drain: ${open}; 5xx answers: ${fiveXX}\n` +
    `server RSS: start ${samples[0]?.rssMiB} MiB, max ${maxRss} MiB, end ${samples.at(-1)?.rssMiB} MiB; growth after warm-up ${growth} MiB (bound ${rssBoundMiB} MiB)\n`,
);
const ok = lost === 0 && open === 0 && fiveXX === 0 && growth < rssBoundMiB;
process.stdout.write(ok ? 'soak: ok\n' : 'soak: FAILED\n');
process.exitCode = ok ? 0 : 1;
