import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.ts';
import { runFencer, startServe } from '../support/processes.ts';
import { writeTestConfig } from '../support/testCluster.ts';

const setup = writeTestConfig({
  cli: {
    nodes: { a: {}, b: {}, c: { dummy: { offDelayMs: 4000 } }, d: { dummy: { mode: 'error' } } },
    options: { fenceDeadlineSeconds: 8, maxConcurrentFences: 2 },
  },
});
let serve: Awaited<ReturnType<typeof startServe>>;
const keyFile = (node: string) => {
  const file = join(setup.dir, `${node}.key`);
  writeFileSync(file, `${setup.secret(`cli/${node}`)}\n`, { mode: 0o600 });
  return file;
};

beforeAll(async () => {
  serve = await startServe(['--config', setup.file], {
    ...setup.env,
  });
});
afterAll(async () => {
  expect(await serve?.stop()).toBe(0);
});

const report = (node: string, target: string, extra: string[] = []) =>
  runFencer([
    'report',
    '--url',
    serve.url,
    '--key-id',
    `cli/${node}`,
    '--secret-file',
    keyFile(node),
    '--target',
    target,
    ...extra,
  ]);

describe('fencer report exit codes', () => {
  it('0 when the target is verified fenced', async () => {
    const { code, output } = await report('a', 'b', ['--wait', '30', '--reason', 'heartbeat lost']);
    expect(output).toMatch(/^b fenced \(incident [0-9a-z-]+\)/m);
    expect(code).toBe(0);
  });

  it('1 with the problem code when the report is refused', async () => {
    const { code, output } = await report('b', 'a', ['--wait', '5']);
    expect(output).toContain('rejected (409 reporter-fenced)');
    expect(code).toBe(1);
  });

  it('3 when the wait runs out, then 0 when waiting again with the same event id', async () => {
    const first = await report('a', 'c', ['--wait', '1', '--event-id', 'lk-c-1']);
    expect(first.output).toContain('is still fencing');
    expect(first.code).toBe(3);
    const second = await report('a', 'c', ['--wait', '30', '--event-id', 'lk-c-1', '--json']);
    expect(JSON.parse(second.output)).toMatchObject({ state: 'fenced', target: 'c' });
    expect(second.code).toBe(0);
  });

  it('1 when every level failed', async () => {
    const { code, output } = await report('a', 'd', ['--wait', '30']);
    expect(output).toContain('d not fenced: fence-failed');
    expect(code).toBe(1);
  });

  it('2 on usage errors, and 1 when the server cannot be reached after retries', async () => {
    expect((await runFencer(['report', '--url', serve.url, '--key-id', 'cli/a'])).code).toBe(2);
    expect(
      (
        await runFencer(['report', '--url', serve.url, '--key-id', 'cli/a', '--target', 'b'], {
          FENCER_SECRET: '',
        })
      ).code,
    ).toBe(2);
    const badUrl = await runFencer(
      ['report', '--url', '127.0.0.1:7071', '--key-id', 'cli/a', '--target', 'b'],
      { FENCER_SECRET: setup.secret('cli/a') },
    );
    expect(badUrl.output).toContain('--url 127.0.0.1:7071: must be an http:// or https:// URL');
    expect(badUrl.code).toBe(2);
    const down = await runFencer([
      'report',
      '--url',
      `http://127.0.0.1:${await freePort()}/api`,
      '--key-id',
      'cli/a',
      '--secret-file',
      keyFile('a'),
      '--target',
      'b',
      '--wait',
      '2',
    ]);
    expect(down.output).toContain('ECONNREFUSED');
    expect(down.code).toBe(1);
  });
});

describe('fencer config', () => {
  it('validate lists every problem by path and exits 2; serve refuses the same file with 2', async () => {
    const bad = join(setup.dir, 'bad.yaml');
    writeFileSync(
      bad,
      'clusters:\n  prod-db:\n    quorum: 0\n    nodes:\n      node-a:\n        key: { secretRef: nope }\n        levels: [ [ { ipmi: {} } ] ]\n',
    );
    const { code, output } = await runFencer(['config', 'validate', bad]);
    expect(code).toBe(2);
    expect(output).toContain('clusters.prod-db.quorum:');
    expect(output).toContain(
      'clusters.prod-db.nodes.node-a.key.secretRef: must be env:NAME or file:PATH',
    );
    expect(output).toContain('clusters.prod-db.nodes.node-a.levels[0][0]: unknown field(s): ipmi');
    expect(output).toContain('clusters.prod-db.nodes: a cluster needs at least 2 nodes');
    const served = await runFencer(['serve', '--config', bad, '--port', '0']);
    expect(served.code).toBe(2);
    expect(served.output).toContain('clusters.prod-db.quorum:');
  });

  it('validate accepts a good file; schema prints JSON Schema', async () => {
    const ok = await runFencer(['config', 'validate', setup.file], setup.env);
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.output).toContain('valid (1 cluster(s), 4 node(s))');
    const schema = await runFencer(['config', 'schema']);
    expect(JSON.parse(schema.output)).toMatchObject({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
    });
  });
});
