import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDebianPackages } from '../support/debianPackages.ts';
import { fencerBin, repoRoot, runFencer, startServe } from '../support/processes.ts';
import { writeTestConfig } from '../support/testCluster.ts';

const run = promisify(execFile);
const setup = writeTestConfig({
  lk: {
    nodes: { a: {}, b: {}, c: {}, d: { dummy: { mode: 'error' } }, e: {} },
    options: { fenceDeadlineSeconds: 5, maxConcurrentFences: 3 },
  },
});
let serve: Awaited<ReturnType<typeof startServe>>;
const keyFile = (keyId: string) => {
  const file = join(setup.dir, `${keyId.replace('/', '_')}.key`);
  writeFileSync(file, `${setup.secret(keyId)}\n`, { mode: 0o600 });
  return file;
};
const power = (node: string) => JSON.parse(readFileSync(setup.statusFile('lk', node), 'utf8'));

/** Runs a command and returns its exit code and output instead of throwing on non-zero. */
async function exec(
  file: string,
  args: string[],
  options: { env?: Record<string, string>; input?: string } = {},
) {
  const child = execFile(file, args, { env: { ...process.env, ...options.env }, timeout: 90_000 });
  if (options.input !== undefined) child.stdin?.end(options.input);
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? -1)));
  return { code, output };
}

beforeAll(async () => {
  ensureDebianPackages(['libxml2-utils', 'fence-agents']);
  serve = await startServe(['--config', setup.file], {
    ...setup.env,
  });
});
afterAll(async () => {
  expect(await serve?.stop()).toBe(0);
});

describe('LifeKeeper prefailover hook', () => {
  const prefix = mkdtempSync(join(tmpdir(), 'lifekeeper-'));
  const install = (node: string) =>
    run('sh', [
      join(repoRoot, 'contrib/lifekeeper/install.sh'),
      '--prefix',
      join(prefix, node),
      '--url',
      serve.url,
      '--key-id',
      `lk/${node}`,
      '--secret-file',
      keyFile(`lk/${node}`),
      '--fencer-bin',
      fencerBin,
      '--wait',
      '30',
    ]);
  const action = (node: string, failed: string) =>
    exec(
      join(prefix, node, 'events/prefailover/actions/fencer'),
      ['-C', 'lifekeeper', '-E', 'prefailover', '-m', 'comm', '-n', failed],
      { env: { LKROOT: join(prefix, node) } },
    );

  it('installs into a prefix with a 0600 settings file that holds no secret', async () => {
    await install('a');
    await install('b');
    const env = join(prefix, 'a', 'config/fencer.env');
    expect(statSync(env).mode & 0o777).toBe(0o600);
    expect(statSync(join(prefix, 'a', 'events/prefailover/actions/fencer')).mode & 0o111).not.toBe(
      0,
    );
    expect(readFileSync(env, 'utf8')).not.toContain(setup.secret('lk/a'));
  });

  it('exits 0 only once the failed system is fenced', async () => {
    const { code, output } = await action('a', 'b');
    expect(output).toContain('b fenced (incident');
    expect(code).toBe(0);
    expect(power('b').power).toBe('off');
  });

  it('a second failover soon after the first fences again: never the old verdict', async () => {
    // Prepare: the hook fenced e, and the operator brought it back (unfence with power-on). Both
    // failovers fall in one clock minute (an event id made of the target and the minute once
    // replayed the first one's incident: "e fenced", with e running).
    const second = new Date().getSeconds();
    if (second > 40) await new Promise((r) => setTimeout(r, (61 - second) * 1000));
    const first = await action('a', 'e');
    expect(first.code).toBe(0);
    expect(power('e')).toMatchObject({ power: 'off', powerOffCalls: 1 });
    const unfenced = await setup
      .client(serve.url, 'admin/ops')
      .request('POST', '/v1/clusters/lk/nodes/e/unfence', { powerOn: true });
    expect(unfenced.status).toBe(200);
    expect(power('e').power).toBe('on');

    // Act: the comm path fails again.
    const again = await action('a', 'e');

    // Assess: exit 0 only because e was powered off again.
    expect(again.output).toContain('e fenced (incident');
    expect(again.code).toBe(0);
    expect(power('e')).toMatchObject({ power: 'off', powerOffCalls: 2 });
  });

  it('exits non-zero when the report is refused (split-brain loser) or the fence fails', async () => {
    expect((await action('b', 'a')).code).not.toBe(0);
    const failed = await action('a', 'd');
    expect(failed.output).toContain('NOT verified fenced');
    expect(failed.code).not.toBe(0);
  });
});

describe('operator CLI', () => {
  const as = (keyId: string) => [
    '--url',
    serve.url,
    '--key-id',
    keyId,
    '--secret-file',
    keyFile(keyId),
  ];

  it('status and history show what happened, as tables or JSON', async () => {
    const status = await runFencer(['status', 'lk', ...as('admin/ops')]);
    expect(status.code).toBe(0);
    expect(status.output).toMatch(/^NODE\s+STATE\s+READY\s+INCIDENT$/m);
    expect(status.output).toMatch(/^b\s+fenced\s+(ready|unchecked)\s+\S+$/m);
    // d's only level errors: once checked, it is unfenceable, and `fencer readiness` says why.
    const readiness = await runFencer(['readiness', 'lk', ...as('admin/ops')]);
    expect(readiness.output).toMatch(
      /^NODE\s+READY\s+LEVEL\s+DEVICE\s+STATUS\s+POWER\s+SINCE\s+DETAIL$/m,
    );
    expect(readiness.output).toMatch(/^d\s+unfenceable\s+1\s+dummy \S+\s+failing\s+unknown\s+/m);
    expect(readiness.output).toContain('d is unfenceable');
    expect(readiness.code).toBe(1);
    expect(status.output).not.toContain('\u001b[');
    const history = await runFencer(['history', 'lk', '--limit', '50', '--json', ...as('lk/a')]);
    const incidents = JSON.parse(history.output).incidents as { target: string; state: string }[];
    expect(incidents.map((i) => `${i.target}:${i.state}`)).toEqual(
      expect.arrayContaining(['b:fenced', 'd:failed']),
    );
  });

  it('unfence needs the admin key, then brings the node back; watch prints the live state', async () => {
    const denied = await runFencer(['unfence', 'lk', 'b', ...as('lk/a')]);
    expect(denied.code).toBe(1);
    expect(denied.output).toContain('403 forbidden');
    const back = await runFencer(['unfence', 'lk', 'b', '--power-on', ...as('admin/ops')]);
    expect(back.output).toContain('b: fenced → member; power on: ok');
    expect(back.code).toBe(0);
    const watch = await runFencer(['watch', 'lk', '--count', '1', '--json', ...as('admin/ops')]);
    const line = JSON.parse(watch.output.trim().split('\n')[0] ?? '{}') as {
      nodes: { name: string; state: string }[];
    };
    expect(line.nodes.find((n) => n.name === 'b')?.state).toBe('member');
  });
});
