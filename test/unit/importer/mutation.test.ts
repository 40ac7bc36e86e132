import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ConfigError } from '../../../core/config/issues.ts';
import { parseConfig } from '../../../core/config/load.ts';
import { renderFencerYaml, renderRelayYaml } from '../../../core/importer/render.ts';
import { FIXTURES, fixture, importText, options, SUBSCRIPTION } from './support.ts';

/**
 * Mutations of the real stonith.conf fixtures (test/fixtures/stonith): lines dropped, doubled,
 * swapped, joined or cut short, tokens swapped between lines, characters inserted, CRLF and
 * typographic variants. property.test.ts covers arbitrary text and a word soup; these inputs
 * stay close to what LifeKeeper sites really have. The importer never throws, places every
 * problem on a line of the file, renders valid YAML, and that YAML never crashes the loader.
 */
const seeds = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.conf'))
  .map((f) => readFileSync(fixture(f), 'utf8'));

type Edit =
  | { op: 'drop' | 'double' | 'swap' | 'join' | 'cut' | 'comment'; line: number; at: number }
  | { op: 'token'; line: number; at: number; from: number }
  | { op: 'insert'; line: number; at: number; text: string; asWord: boolean };

const inserted = fc.oneof(
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell text inserted into stonith.conf
  fc.constantFrom('"', "'", '\\', '|', '#', '`', '$(', '${X}', ';', '&&', '\u0000', '\t'),
  fc.constantFrom('\u2013', '\u2014', '\u2018', '\u201c', '\u00a0', '\u3000', '\ufeff', '\r'),
  fc.constantFrom('-P', '-E', '-f', '--password=', '-H', '-U', '-I', '-C 3', '-L NOBODY'),
  fc.constantFrom('-p 99999', '-p 0', '-p x', '-C 99', '--world-id=-1', '--world-id=1e99'),
  fc.string({ unit: 'grapheme', maxLength: 4 }),
);

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({
    op: fc.constantFrom('drop', 'double', 'swap', 'join', 'cut', 'comment'),
    line: fc.nat(),
    at: fc.nat(),
  }),
  fc.record({ op: fc.constant('token' as const), line: fc.nat(), at: fc.nat(), from: fc.nat() }),
  fc.record({
    op: fc.constant('insert' as const),
    line: fc.nat(),
    at: fc.nat(),
    text: inserted,
    asWord: fc.boolean(),
  }),
);

function applyEdits(text: string, edits: Edit[], crlf: boolean): string {
  const lines = text.split('\n');
  for (const e of edits) {
    const i = e.line % lines.length;
    const line = lines[i] ?? '';
    const words = line.split(' ');
    if (e.op === 'drop' && lines.length > 1) lines.splice(i, 1);
    else if (e.op === 'double') lines.splice(i, 0, line);
    else if (e.op === 'swap') {
      const j = e.at % lines.length;
      lines[i] = lines[j] ?? '';
      lines[j] = line;
    } else if (e.op === 'join' && i + 1 < lines.length)
      lines.splice(i, 2, `${line} ${lines[i + 1] ?? ''}`);
    else if (e.op === 'cut') lines[i] = line.slice(0, e.at % (line.length + 1));
    else if (e.op === 'comment') lines[i] = `# ${line}`;
    else if (e.op === 'token') {
      const donor = (lines[e.from % lines.length] ?? '').split(' ');
      words[e.at % words.length] = donor[e.at % donor.length] ?? '';
      lines[i] = words.join(' ');
    } else if (e.op === 'insert' && e.asWord) {
      words.splice(e.at % (words.length + 1), 0, e.text);
      lines[i] = words.join(' ');
    } else if (e.op === 'insert') {
      const at = e.at % (line.length + 1);
      lines[i] = line.slice(0, at) + e.text + line.slice(at);
    }
  }
  return lines.join(crlf ? '\r\n' : '\n');
}

describe('mutated stonith.conf fixtures', () => {
  it('never throw, keep problems on lines of the file, and render YAML the loader can judge', () => {
    fc.assert(
      fc.property(
        fc.nat(seeds.length - 1),
        fc.array(edit, { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        fc.boolean(),
        (seed, edits, crlf, withDefaults) => {
          // Prepare
          const text = applyEdits(seeds[seed] ?? '', edits, crlf);
          const defaults = withDefaults ? { subscription: SUBSCRIPTION, region: 'eu-west-1' } : {};

          // Act
          const result = importText(text, defaults);
          const ctx = { options: options(defaults), sources: ['stonith.conf'], written: false };
          const fencer = renderFencerYaml(result, ctx);
          const relay = renderRelayYaml(result, ctx) ?? '';

          // Assess
          const lines = text.split(/\r\n|\r|\n/).length;
          for (const p of result.problems) {
            // Line 0: a problem of the whole import (e.g. fewer than 2 nodes).
            expect(p.line).toBeGreaterThanOrEqual(0);
            expect(p.line).toBeLessThanOrEqual(lines);
            expect(p.reason.length).toBeGreaterThan(0);
          }
          expect(parseAllDocuments(fencer).every((d) => d.errors.length === 0)).toBe(true);
          expect(parseAllDocuments(relay).every((d) => d.errors.length === 0)).toBe(true);
          try {
            parseConfig(fencer, '/tmp/fencer.yaml', { skipSecrets: true });
          } catch (err) {
            expect(err).toBeInstanceOf(ConfigError);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });
});
