import type { Incident } from '../core/protocol/api.ts';
import { startBenchServer } from './server.ts';
import { type Summary, summarize } from './stats.ts';

/**
 * Time to a verified fence for a dummy target that turns off at once: report → incident
 * `fenced` (the ledger's updatedAt, so the GET's own poll interval does not count), then an
 * admin unfence before the next run. This is Fencer's own overhead: arbiter, queue, worker,
 * engine (status, off, status), ledger.
 */
export async function benchDummyFence(runs: number): Promise<{ fence: Summary; cold: number }> {
  const server = await startBenchServer({
    dummy: {
      nodes: {
        a: { levels: [[{ dummy: { statusFile: 'a.json' } }]] },
        b: { levels: [[{ dummy: { statusFile: 'b.json' } }]] },
      },
    },
  });
  try {
    const reporter = server.client('dummy/a');
    const admin = server.client('admin/ops');
    const once = async () => {
      const postedAt = Date.now();
      const answer = await reporter.request('POST', '/v1/clusters/dummy/reports', { target: 'b' });
      const id = (answer.body as Incident).incidentId;
      const incident = (
        await reporter.request('GET', `/v1/clusters/dummy/incidents/${id}?waitSeconds=30`)
      ).body as Incident;
      if (incident.state !== 'fenced') throw new Error(`not fenced: ${JSON.stringify(incident)}`);
      const back = await admin.request('POST', '/v1/clusters/dummy/nodes/b/unfence', {
        powerOn: true,
      });
      if (back.status !== 200) throw new Error(`unfence: ${back.status}`);
      return Date.parse(incident.updatedAt) - postedAt;
    };
    const cold = await once();
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) samples.push(await once());
    return { fence: summarize(samples), cold };
  } finally {
    await server.stop();
  }
}
