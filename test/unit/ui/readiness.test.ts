import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatAge, formatTimeShort } from '../../../ui/src/format.ts';
import { type Tone, toneOf } from '../../../ui/src/tones.ts';
import { repoRoot } from '../../support/processes.ts';

/** WCAG 2 relative luminance of `#rrggbb`. */
function luminance(hex: string): number {
  const channel = (i: number) => {
    const c = Number.parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
}
const contrast = (a: string, b: string) => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return ((hi ?? 0) + 0.05) / ((lo ?? 0) + 0.05);
};

/** `.tone-good { background: #..; color: #..; }` from the stylesheet the page ships. */
function toneColours(): Map<string, { background: string; color: string }> {
  const css = readFileSync(join(repoRoot, 'ui/src/styles.css'), 'utf8');
  const found = new Map<string, { background: string; color: string }>();
  for (const [, tone = '', body = ''] of css.matchAll(/\.tone-([a-z]+)\s*\{([^}]*)\}/g)) {
    const background = /background:\s*(#[0-9a-f]{6})/i.exec(body)?.[1];
    const color = /(?:^|[\s;])color:\s*(#[0-9a-f]{6})/i.exec(body)?.[1];
    if (background && color) found.set(tone, { background, color });
  }
  return found;
}

describe('readiness words on the page', () => {
  it('colours node readiness and device status as DESIGN ranks them', () => {
    const words = ['ready', 'degraded', 'unfenceable', 'unchecked', 'ok', 'failing'];
    expect(words.map(toneOf)).toEqual<Tone[]>(['good', 'warn', 'bad', 'muted', 'good', 'bad']);
    // A word from the wire the page does not know is shown (muted), never dropped or coloured good.
    expect(toneOf('__proto__')).toBe('muted');
    expect(toneOf('constructor')).toBe('muted');
  });

  it('shows every tone with text contrast of at least 4.5:1 (WCAG AA)', () => {
    const colours = toneColours();
    const tones: Tone[] = ['good', 'warn', 'busy', 'down', 'bad', 'muted'];
    for (const tone of tones) {
      const pair = colours.get(tone);
      expect(pair, `styles.css has .tone-${tone}`).toBeDefined();
      if (!pair) continue;
      expect(contrast(pair.color, pair.background), tone).toBeGreaterThanOrEqual(4.5);
    }
    // The check itself: black on white is 21:1, a pale grey on white fails.
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrast('#aaaaaa', '#ffffff')).toBeLessThan(4.5);
  });

  it('says since when at a glance', () => {
    expect(formatAge(4_200)).toBe('4 s');
    expect(formatAge(5 * 60_000 + 59_000)).toBe('5 min');
    expect(formatAge(3 * 3_600_000 + 5 * 60_000)).toBe('3 h 5 min');
    expect(formatAge(2 * 86_400_000 + 4 * 3_600_000)).toBe('2 d 4 h');
    // A clock a little behind the server's never shows a negative age.
    expect(formatAge(-800)).toBe('0 s');
    expect(formatAge(Number.NaN)).toBe('?');
  });

  it('drops the date of a time that is today, in the local time zone', () => {
    const now = new Date(2026, 4, 1, 14, 0, 0).getTime();
    const today = new Date(2026, 4, 1, 0, 0, 1).toISOString();
    const yesterday = new Date(2026, 3, 30, 23, 59, 59).toISOString();
    expect(formatTimeShort(today, now)).toBe('00:00:01');
    expect(formatTimeShort(yesterday, now)).toBe('2026-04-30 23:59:59');
  });
});
