import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { renderFencerYaml, renderRelayYaml } from '../../../core/importer/render.ts';
import { importText, options, SUBSCRIPTION } from './support.ts';

/** Words stonith.conf-ish text is made of: hosts, the five commands, their options, typography. */
const VOCABULARY = [
  'node-a',
  'node-b',
  'minute-maid',
  '<host>',
  '<vm_id>',
  'ipmitool',
  'vmware-cmd',
  'esxcli',
  'az',
  'aws',
  'vm',
  'ec2',
  'stop',
  'stop-instances',
  'kill',
  'process',
  'vms',
  'power',
  'chassis',
  'off',
  'hard',
  '‘hard’',
  '-I',
  'lanplus',
  'lan',
  '-H',
  '192.168.0.1',
  '-U',
  'root',
  '-E',
  '-C',
  '3',
  '-L',
  '-p',
  '-g',
  'rg',
  '-n',
  '—resource-group',
  '––server=10.0.0.1',
  '––type=hard',
  '--world-id=12',
  '--instance-ids',
  'i-0123456789abcdef0',
  '--region',
  'eu-west-1',
  '--skip-shutdown',
  '/vmfs/volumes/ds/a/a.vmx',
  '/ vmfs/x',
  '#',
  '|',
  '"',
  "'",
  '\\',
  '2>&1',
  '>',
  '\n',
  '\u00a0',
  '\u3000',
  '–',
  'IPMI_PASSWORD=',
];

/** A password marker placed only where a password goes; it must never come out anywhere. */
const passwordSlot = fc
  .nat(999)
  .map((n) => ({ marker: `Pw${n}Zq`, options: ['-P', '--password=', '-P '] }));

const stonithConfish = fc
  .array(
    fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom(...VOCABULARY) },
      {
        weight: 1,
        arbitrary: passwordSlot.chain((p) =>
          fc.constantFrom(...p.options).map((o) => `${o}${o.endsWith('=') ? '' : ' '}${p.marker}`),
        ),
      },
      { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
    ),
    { maxLength: 60 },
  )
  .chain((words) => fc.constantFrom(' ', '  ', '\t').map((sep) => words.join(sep)));

describe('importer properties', () => {
  it('never throws on arbitrary text; every problem has a line within the file', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (text) => {
        const result = importText(text);
        const lines = text.split(/\r\n|\r|\n/).length;
        for (const p of result.problems) expect(p.line).toBeGreaterThanOrEqual(0);
        for (const p of result.problems) expect(p.line).toBeLessThanOrEqual(lines);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on stonith.conf-ish text, renders valid YAML, and never leaks a password', () => {
    fc.assert(
      fc.property(stonithConfish, (text) => {
        const result = importText(text, { subscription: SUBSCRIPTION, region: 'eu-west-1' });
        const ctx = { options: options(), sources: ['stonith.conf'], written: false };
        const fencer = renderFencerYaml(result, ctx);
        const relay = renderRelayYaml(result, ctx) ?? '';
        expect(parseAllDocuments(fencer).every((d) => d.errors.length === 0)).toBe(true);
        expect(parseAllDocuments(relay).every((d) => d.errors.length === 0)).toBe(true);
        const printed = [
          fencer,
          relay,
          JSON.stringify(result.problems),
          JSON.stringify(result.notes),
          JSON.stringify(result.fencer),
          JSON.stringify(result.relay ?? {}),
        ].join('\n');
        expect(printed).not.toMatch(/Pw\d+Zq/);
      }),
      { numRuns: 500 },
    );
  });
});
