import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sendReport } from '../cli/report.ts';
import type { Incident } from '../core/protocol/api.ts';
import { startBmcSim } from '../test/relay/peers/bmcSim.ts';
import { ipmiTargetFor, startRelayProcess, writeRelayConfig } from '../test/relay/peers/relay.ts';
import { makeTestPki } from '../test/relay/peers/tls.ts';
import { ensureDebianPackages } from '../test/support/debianPackages.ts';
import { startBenchServer } from './server.ts';

/**
 * Where the time of one IPMI fence goes, as the hook sees it: `npx tsx bench/ipmiTimeline.ts
 * [runs] [idle seconds between fences]`. For each fence (report → the hook knowing `fenced`, through fencer serve → HTTPS →
 * fencer-relay → ipmitool → the pyghmi BMC) it prints, in ms from the report: the incident's
 * creation, each attempt, each relay action (arrival, answer, every ipmitool step) from the
 * relay's audit log, each BMC event (session open/close, commands) from the simulator's log,
 * and when the hook knew. Not part of `npm run bench`: a tool to look, not a figure.
 */
const runs = Number(process.argv[2] ?? 5);
const idleMs = Number(process.argv[3] ?? 0) * 1000;
ensureDebianPackages(['ipmitool', 'python3-pyghmi', 'openssl']);
const dir = mkdtempSync(join(tmpdir(), 'fencer-timeline-'));
const bmc = await startBmcSim({ dir });
const pki = makeTestPki(dir);
const site = writeRelayConfig({ dir, pki, targets: { 'node-b-bmc': ipmiTargetFor(bmc, dir) } });
const relay = await startRelayProcess({ ...site, ca: pki.caCert });
const server = await startBenchServer(
  {
    tl: { nodes: { a: {}, b: { levels: [[{ relay: { relay: 'dc1', target: 'node-b-bmc' } }]] } } },
  },
  { dc1: relay.fencerRelayConfig(dir) },
);
const admin = server.client('admin/ops');

interface AuditLine {
  time: string;
  action?: string;
  elapsedMs?: number;
  steps?: { command: string; startedAt: string; elapsedMs: number }[];
}

try {
  for (let n = 0; n < runs; n++) {
    await bmc.set({ power: 'on', clearEvents: true });
    const seen = relay.peer.lines.length;
    const t0 = Date.now();
    const started = performance.now();
    const result = await sendReport({
      url: server.url,
      keyId: 'tl/a',
      secret: server.secret('tl/a'),
      target: 'b',
      waitSeconds: 60,
    });
    const hookMs = performance.now() - started;
    if (result.exit !== 0) throw new Error(result.message);
    const at = (time: string | number) =>
      `${String(Math.round((typeof time === 'number' ? time : Date.parse(time)) - t0)).padStart(6)} ms`;
    const out: string[] = [`fence ${n}: the hook knew \`fenced\` after ${hookMs.toFixed(0)} ms`];
    const { incidents } = (await admin.request('GET', '/v1/clusters/tl/incidents?limit=1'))
      .body as { incidents: Incident[] };
    const incident = incidents[0];
    if (incident) {
      out.push(`${at(incident.createdAt)}  incident created`);
      for (const a of incident.attempts)
        out.push(
          `${at(a.startedAt)}  attempt (level ${a.level}) → ${a.outcome} at ${at(a.endedAt)}`,
        );
      out.push(`${at(incident.updatedAt)}  incident ${incident.state}`);
    }
    for (const line of relay.peer.lines.slice(seen)) {
      const audit = JSON.parse(line) as AuditLine;
      if (!audit.action) continue;
      const answered = Date.parse(audit.time);
      out.push(
        `${at(answered - (audit.elapsedMs ?? 0))}  relay ${audit.action} arrived, answered at ${at(answered)}`,
      );
      for (const step of audit.steps ?? [])
        out.push(
          `${at(step.startedAt)}    ${step.command.split(' ').slice(-3).join(' ')} (${step.elapsedMs} ms)`,
        );
    }
    for (const event of await bmc.events())
      out.push(`${at(event.ts * 1000)}      BMC ${event.command} ${event.result}`);
    process.stdout.write(`${out.join('\n')}\n\n`);
    await bmc.set({ power: 'on' });
    const back = await admin.request('POST', '/v1/clusters/tl/nodes/b/unfence', {});
    if (back.status !== 200) throw new Error(`unfence: ${back.status}`);
    await new Promise((r) => setTimeout(r, idleMs));
  }
} finally {
  await server.stop();
  await relay.stop();
  await bmc.stop();
  rmSync(dir, { recursive: true, force: true });
}
