import { performance } from 'node:perf_hooks';
import { startBenchServer } from './server.ts';
import { type Summary, summarize } from './stats.ts';

export interface DecisionCase {
  clusters: number;
  inFlight: number;
  reportsPerSecond: number;
  latency: Summary;
  statuses: Record<string, number>;
}

const reporters = ['a', 'b', 'c', 'd', 'e', 'f'];

/**
 * The decision path: signed `POST .../reports` → 202 through `fencer serve` on Azurite, with
 * `inFlight` requests at once spread over `clusters` clusters. Every report joins a pending
 * incident (quorum 7 of 8 is never reached), so each is a full decision: signature, nonce
 * entry, eventId entry, cluster entity read-modify-write under its ETag, incident projection.
 * With one cluster every request races for the same entity.
 */
export async function benchDecisionPath(
  clusterCounts: number[],
  inFlight: number,
  seconds: number,
): Promise<DecisionCase[]> {
  const spec = {
    quorum: 7,
    quorumWindowSeconds: 86_400,
    nodes: Object.fromEntries(
      ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((n) => [
        n,
        { levels: [[{ dummy: { statusFile: `state/${n}.json` } }]] },
      ]),
    ),
  };
  const max = Math.max(...clusterCounts);
  const server = await startBenchServer(
    Object.fromEntries(Array.from({ length: max }, (_, i) => [`dp-${i}`, spec])),
  );
  const results: DecisionCase[] = [];
  try {
    for (const count of clusterCounts) {
      const clients = Array.from({ length: count }, (_, i) =>
        reporters.map((r) => server.client(`dp-${i}/${r}`)),
      );
      const latencies: number[] = [];
      const statuses: Record<string, number> = {};
      let seq = 0;
      const one = async (measure: boolean) => {
        const n = seq++;
        const client = clients[n % count]?.[Math.floor(n / count) % reporters.length];
        if (!client) return;
        const started = performance.now();
        const answer = await client.request('POST', `/v1/clusters/dp-${n % count}/reports`, {
          target: 'h',
          eventId: `bench-${count}-${n}`,
        });
        if (!measure) return;
        latencies.push(performance.now() - started);
        statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
      };
      const run = async (ms: number, measure: boolean) => {
        const until = performance.now() + ms;
        await Promise.all(
          Array.from({ length: inFlight }, async () => {
            while (performance.now() < until) await one(measure);
          }),
        );
      };
      await run(1500, false); // warm up: connections, JIT, the first write of each cluster entity
      const started = performance.now();
      await run(seconds * 1000, true);
      const elapsed = (performance.now() - started) / 1000;
      results.push({
        clusters: count,
        inFlight,
        reportsPerSecond: Math.round(latencies.length / elapsed),
        latency: summarize(latencies),
        statuses,
      });
    }
  } finally {
    await server.stop();
  }
  return results;
}
