import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError } from '../../../core/config/issues.ts';
import { parseConfig } from '../../../core/config/load.ts';

/**
 * Generated fencer.yaml texts: random YAML documents, YAML-ish text, and valid configs with
 * keys deleted or renamed, values of the wrong type and bad secretRefs. parseConfig either
 * loads the config or throws a ConfigError whose every issue has a path and a message.
 */
const key = 'q7m1WgQm0B1cJx8nY6m3c8zH4b9v1uT2pQ5rS7tU9wE=';
const dir = mkdtempSync(join(tmpdir(), 'fencer-config-fuzz-'));
writeFileSync(join(dir, 'b.key'), `${key}\n`);
writeFileSync(join(dir, 'empty.key'), '');
const file = join(dir, 'fencer.yaml');
// Every key its own secret (two keys may not share one).
const env = {
  KEY_A: 'Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmE=',
  KEY_C: 'Y2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2M=',
  RELAY: 'relay-secret',
  ADMIN: 'YWRtaW5hZG1pbmFkbWluYWRtaW5hZG1pbmFkbWluYWQ=',
  WEAK: 'short',
  SPACE: ' ',
};

/** Every device kind, every option, both relays: a config that loads. */
const valid = {
  clusters: {
    'prod-db': {
      quorum: 1,
      maxConcurrentFences: 1,
      minSurvivors: 1,
      settleMs: 0,
      fenceDeadlineSeconds: 240,
      levelTimeoutSeconds: 60,
      quorumWindowSeconds: 60,
      allowSelfReport: false,
      nodes: {
        'node-a': {
          priority: 10,
          key: { secretRef: 'env:KEY_A' },
          levels: [
            [{ 'azure-vm': { subscriptionId: 's', resourceGroup: 'rg', vmName: 'vm-a' } }],
            [{ relay: { relay: 'dc1', target: 'node-a-bmc' } }],
          ],
        },
        'node-b': {
          key: { secretRef: 'file:b.key' },
          levels: [
            [
              { 'aws-ec2': { region: 'eu-west-1', instanceId: 'i-0123456789abcdef0' } },
              { dummy: { statusFile: 'b.json', offDelayMs: 10, mode: 'normal' } },
            ],
          ],
        },
        'node-c': {
          key: { secretRef: 'env:KEY_C' },
          levels: [[{ dummy: { statusFile: 'c.json' } }]],
        },
      },
    },
  },
  relays: {
    dc1: { url: 'https://relay.dc1.example:7443', keyName: 'k', key: { secretRef: 'env:RELAY' } },
  },
  admins: { ops: { secretRef: 'env:ADMIN' } },
};

/** Loads, or fails the right way; anything else fails the property. */
function assessParse(text: string, skipSecrets = false): void {
  try {
    parseConfig(text, file, { env, skipSecrets });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    expect(err.issues.length).toBeGreaterThan(0);
    for (const issue of err.issues) {
      expect(typeof issue.path).toBe('string');
      expect(issue.path.length).toBeGreaterThan(0);
      expect(typeof issue.message).toBe('string');
      expect(issue.message.trim().length).toBeGreaterThan(0);
      expect(err.message).toContain(issue.path);
    }
  }
}

type Path = (string | number)[];

/** Every path of the tree that holds a value (objects and arrays included). */
function pathsOf(value: unknown, at: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [at];
  const entries = Array.isArray(value)
    ? value.map((v, i) => [i, v] as const)
    : Object.entries(value);
  return [at, ...entries.flatMap(([k, v]) => pathsOf(v, [...at, k]))];
}

const wrongValue = fc.oneof(
  fc.constantFrom(null, true, 0, -1, 1.5, 1e9, '', 'x', [], {}, [[]], { secretRef: 1 }),
  fc.constantFrom(
    { secretRef: 'env:' },
    { secretRef: 'env:1BAD' },
    { secretRef: 'env:MISSING' },
    { secretRef: 'env:WEAK' },
    { secretRef: 'env:SPACE' },
    { secretRef: 'file:' },
    { secretRef: 'file:missing.key' },
    { secretRef: 'file:empty.key' },
    { secretRef: 'file:.' },
    { secretRef: 'file:\u0000' },
    { secretRef: 'vault:x' },
    { secretRef: 'env:KEY_A', extra: 1 },
  ),
  fc.jsonValue({ maxDepth: 2 }),
);

type Mutation =
  | { op: 'delete'; at: number }
  | { op: 'rename'; at: number; to: string }
  | { op: 'set'; at: number; value: unknown };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({
    op: fc.constant('rename' as const),
    at: fc.nat(),
    to: fc.oneof(fc.constantFrom('admin', 'Node A', '', '-x', 'nodes', 'key'), fc.string()),
  }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: wrongValue }),
);

function mutate(config: unknown, mutations: Mutation[]): unknown {
  const copy = structuredClone(config);
  for (const m of mutations) {
    const paths = pathsOf(copy).filter((p) => p.length > 0);
    const path = paths[m.at % Math.max(1, paths.length)];
    if (!path) break;
    const parent = path.slice(0, -1).reduce<unknown>((v, k) => (v as never)[k], copy) as Record<
      string | number,
      unknown
    >;
    const last = path.at(-1) as string | number;
    if (m.op === 'delete') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else if (m.op === 'rename' && !Array.isArray(parent)) {
      const value = parent[last];
      delete parent[last];
      parent[m.to] = value;
    } else if (m.op === 'set') parent[last] = structuredClone(m.value);
  }
  return copy;
}

const yamlish = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        ...'clusters nodes levels key secretRef dummy relay relays admins'.split(' '),
      ),
      fc.constantFrom(':', ': ', '-', '- ', '{', '}', '[', ']', ',', '\n', '\n  ', '\t', '#'),
      fc.constantFrom(
        '&a',
        '*a',
        '<<: *a',
        '!!binary',
        '!!set',
        '!x',
        '? ',
        '---',
        '...',
        '%YAML 1.1',
      ),
      fc.constantFrom('"', "'", '|', '>', '\\', '\u00a0', '\ufeff', '\u0000', '0x1F', '.inf', '~'),
      fc.string({ maxLength: 6 }),
    ),
    { maxLength: 60 },
  )
  .map((parts) => parts.join(''));

describe('fencer.yaml inputs never crash the loader', () => {
  it('loads the base config that the mutations start from', () => {
    expect(parseConfig(stringify(valid), file, { env }).config.clusters['prod-db']).toBeDefined();
  });

  it('random YAML documents and YAML-ish text → a ConfigError at worst', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue().map((v) => stringify(v)),
          yamlish,
          fc.string({ maxLength: 200 }),
        ),
        fc.boolean(),
        (text, skipSecrets) => assessParse(text, skipSecrets),
      ),
      { numRuns: 1500 },
    );
  });

  it('a valid config with keys deleted or renamed, wrong types, bad secretRefs → ConfigError issues', () => {
    fc.assert(
      fc.property(
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (mutations, skipSecrets) => assessParse(stringify(mutate(valid, mutations)), skipSecrets),
      ),
      { numRuns: 1500 },
    );
  });

  it('valid YAML text with lines dropped, doubled or re-indented → a ConfigError at worst', () => {
    const lines = stringify(valid).split('\n');
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.nat(lines.length - 1), fc.constantFrom('drop', 'double', 'indent', 'dedent')),
          { minLength: 1, maxLength: 4 },
        ),
        (edits) => {
          const out = [...lines];
          for (const [i, edit] of edits) {
            const line = out[i % out.length] ?? '';
            const at = i % out.length;
            if (edit === 'drop') out.splice(at, 1);
            else if (edit === 'double') out.splice(at, 0, line);
            else out[at] = edit === 'indent' ? ` ${line}` : line.replace(/^ {1,2}/, '');
          }
          assessParse(out.join('\n'));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('a document that expands too far (aliases of aliases) → ConfigError, not a crash', () => {
    const text = `x: &x [1, 2]\ny: [${Array(200).fill('*x').join(', ')}]\n`;
    expect(() => parseConfig(text, file, { env })).toThrow(ConfigError);
  });
});
