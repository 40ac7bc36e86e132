import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalHost } from '../../cli/localHost.ts';
import { systemClock } from '../../core/clock.ts';
import type { Incident } from '../../core/protocol/api.ts';
import { ActionService } from '../../relay-agent/actionService.ts';
import { createRelayLogger } from '../../relay-agent/audit.ts';
import { relayYaml } from '../../relay-agent/config.ts';
import type { PowerExecutor } from '../../relay-agent/executors/types.ts';
import { resolveRelayConfig } from '../../relay-agent/loadConfig.ts';
import { PullLoop } from '../../relay-agent/pullLoop.ts';
import { createProcessRunner } from '../../relay-agent/runner.ts';
import { type FlakyProxy, type ProxyMove, startFlakyProxy } from '../support/flakyProxy.ts';
import { writePullTestConfig } from '../support/pullSetup.ts';
import { startTestHost } from './localHost.ts';

/**
 * The relay's pull loop (the real relay code, in this process, with a switch for a device)
 * through a proxy that cuts the network: open connections destroyed, new ones dropped, then
 * answered 502 as a load balancer with no upstream does. The relay logs the loss once and each
 * change, reconnects with backoff by itself, and the next fence works.
 */
const setup = writePullTestConfig();
let host: LocalHost;
let proxy: FlakyProxy;
let move: ProxyMove = 'forward';
let loop: PullLoop;
const lines: string[] = [];
const device = { power: 'on' as 'on' | 'off', offCalls: 0 };

const switchExecutor: PowerExecutor = {
  description: 'test switch',
  callTimeoutMs: 1000,
  async powerOff() {
    device.offCalls++;
    device.power = 'off';
  },
  async powerOn() {
    device.power = 'on';
  },
  async powerState() {
    return { state: device.power };
  },
};

beforeAll(async () => {
  host = await startTestHost(setup.loaded, 'pullnet');
  proxy = await startFlakyProxy(host.url, () => move);
  const yaml = relayYaml.parse({
    pull: { url: proxy.url, keyName: 'site1', key: { secretRef: 'env:KEY' } },
    targets: { 'b-switch': { ipmi: { host: 'h', user: 'u', password: { secretRef: 'env:PW' } } } },
  });
  const config = resolveRelayConfig(yaml, '/tmp/relay.yaml', {
    KEY: setup.relayKey('site1'),
    PW: 'x',
  });
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createRelayLogger(sink);
  const deps = { clock: systemClock, runner: createProcessRunner(), logger, childEnv: {} };
  const service = new ActionService(config, { ...deps, executorFor: () => switchExecutor });
  loop = new PullLoop(config, { ...deps, service, backoff: { baseMs: 100, maxMs: 400 } });
  loop.start();
});
afterAll(async () => {
  await loop?.stop();
  await proxy?.close();
  await host?.stop();
});

const count = (text: string) => lines.filter((l) => l.includes(text)).length;
async function until(what: () => boolean, ms = 10_000) {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error(`timed out; log:\n${lines.join('\n')}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function fence(): Promise<Incident> {
  device.power = 'on';
  const reporter = setup.client(host.url, 'pc/a');
  const opened = await reporter.request('POST', '/v1/clusters/pc/reports', { target: 'b' });
  const id = (opened.body as Incident).incidentId;
  const done = await reporter.request('GET', `/v1/clusters/pc/incidents/${id}?waitSeconds=20`);
  await setup.client(host.url, 'admin/ops').request('POST', '/v1/clusters/pc/nodes/b/unfence', {});
  return done.body as Incident;
}

describe('pull loop through a network cut', () => {
  it('logs the loss, reconnects by itself with backoff, and fences afterwards', async () => {
    // Prepare: connected, and a first fence through the proxy.
    await until(() => count('"msg":"polling http') === 1);
    expect((await fence()).state).toBe('fenced');

    // Act: the network goes (open connections cut, new ones dropped, then 502s), and comes back.
    move = 'drop';
    proxy.cut();
    await until(() => count('cannot poll') >= 1);
    await new Promise((r) => setTimeout(r, 1500));
    move = 'bad-gateway';
    await new Promise((r) => setTimeout(r, 1000));
    const failedPolls = proxy.log.filter((r) => r.move !== 'forward').length;
    move = 'forward';
    await until(() => count('"msg":"polling http') === 2);
    const after = await fence();

    // Assess
    expect(after.state).toBe('fenced');
    expect(device.offCalls).toBe(2);
    // Several failed polls, far fewer lines: the loss, each change of error, milestones.
    expect(failedPolls).toBeGreaterThanOrEqual(4);
    expect(count('cannot poll')).toBeLessThan(failedPolls);
    expect(count('cannot poll')).toBeGreaterThanOrEqual(2);
  });
});
