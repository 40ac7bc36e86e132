import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { type BenchLedger, startBenchServer } from './server.ts';
import { type Summary, summarize } from './stats.ts';

export interface RateCase {
  /** Offered load (open loop); `undefined` for the saturation run. */
  offered?: number;
  inFlight?: number;
  reportsPerSecond: number;
  latency: Summary;
  statuses: Record<string, number>;
  /** 1-minute load average of the machine when the case ended. */
  load: number;
}

export interface DecisionBench {
  ledger: BenchLedger;
  clusters: number;
  cases: RateCase[];
}

const reporters = ['a', 'b', 'c', 'd', 'e', 'f'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The decision path: signed `POST .../reports` → 202 through `fencer serve`, on one ledger.
 * Every report joins a pending incident (quorum 7 of 8 is never reached), so each is a full
 * decision: signature, nonce entry, eventId claim and record, cluster entity read-modify-write
 * under its ETag, incident projection, and (SQLite) the commit before the answer.
 * Open loop at each rate (requests leave on schedule whatever the answers do; latency counts
 * from the scheduled time, so a stall is not hidden), then saturation with `inFlight` at once.
 */
export async function benchDecisionPath(
  ledger: BenchLedger,
  rates: number[],
  inFlight: number,
  seconds: number,
  clusterCount = 16,
): Promise<DecisionBench> {
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
  const server = await startBenchServer(
    Object.fromEntries(Array.from({ length: clusterCount }, (_, i) => [`dp-${i}`, spec])),
    {},
    {},
    ledger,
  );
  const clients = Array.from({ length: clusterCount }, (_, i) =>
    reporters.map((r) => server.client(`dp-${i}/${r}`)),
  );
  let seq = 0;
  const send = async (): Promise<number> => {
    const n = seq++;
    const cluster = n % clusterCount;
    const client = clients[cluster]?.[Math.floor(n / clusterCount) % reporters.length];
    if (!client) return 0;
    const answer = await client.request('POST', `/v1/clusters/dp-${cluster}/reports`, {
      target: 'h',
      eventId: `bench-${ledger}-${n}`,
    });
    return answer.status;
  };
  const cases: RateCase[] = [];
  try {
    // Warm up: connections, JIT, the first write of each cluster entity.
    await closedLoop(send, inFlight, 1_500);
    for (const rate of rates)
      cases.push({ offered: rate, ...(await openLoop(send, rate, seconds)) });
    cases.push({ inFlight, ...(await closedLoop(send, inFlight, seconds * 1000)) });
  } finally {
    await server.stop();
  }
  return { ledger, clusters: clusterCount, cases };
}

async function openLoop(send: () => Promise<number>, rate: number, seconds: number) {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const pending: Promise<void>[] = [];
  const start = performance.now();
  const total = Math.round(rate * seconds);
  for (let i = 0; i < total; i++) {
    const at = start + (i * 1000) / rate;
    const wait = at - performance.now();
    if (wait > 0) await sleep(wait);
    pending.push(
      send().then((status) => {
        latencies.push(performance.now() - at);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }),
    );
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - start) / 1000;
  return {
    reportsPerSecond: Math.round(latencies.length / elapsed),
    latency: summarize(latencies),
    statuses,
    load: loadavg()[0] ?? 0,
  };
}

async function closedLoop(send: () => Promise<number>, inFlight: number, ms: number) {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const start = performance.now();
  const until = start + ms;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < until) {
        const began = performance.now();
        const status = await send();
        latencies.push(performance.now() - began);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  return {
    reportsPerSecond: Math.round(latencies.length / elapsed),
    latency: summarize(latencies),
    statuses,
    load: loadavg()[0] ?? 0,
  };
}
