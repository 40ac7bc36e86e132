import { describe, expect, it } from 'vitest';
import type { Attempt, Incident } from '../../../core/protocol/api.ts';
import { apiBase } from '../../../ui/src/api/client.ts';
import { formatDuration } from '../../../ui/src/format.ts';
import { hrefOf, parseRoute, type Route } from '../../../ui/src/route.ts';
import { layoutTimeline } from '../../../ui/src/timelineScale.ts';

const t0 = Date.parse('2026-05-01T10:00:00.000Z');
const at = (ms: number) => new Date(t0 + ms).toISOString();
const attempt = (
  level: number,
  from: number,
  to: number,
  outcome: Attempt['outcome'],
): Attempt => ({
  level,
  driver: 'dummy',
  startedAt: at(from),
  endedAt: at(to),
  outcome,
  detail: outcome,
});
const incident = (over: Partial<Incident>): Incident => ({
  incidentId: 'i1',
  cluster: 'c',
  target: 'b',
  action: 'off',
  state: 'fenced',
  reporters: ['a'],
  createdAt: at(0),
  updatedAt: at(10_000),
  attempts: [],
  ...over,
});

describe('the timeline is drawn to scale', () => {
  it('places each attempt by its start and length on one axis, grouped by level', () => {
    // Prepare: level 1 times out after 6 s, level 2 verifies off in 2 s
    const layout = layoutTimeline(
      incident({ attempts: [attempt(1, 1000, 7000, 'timeout'), attempt(2, 7000, 9000, 'off')] }),
      t0 + 60_000,
    );
    // Assess
    expect(layout.spanMs).toBe(10_000);
    expect(layout.groups.map((g) => [g.phase, g.level])).toEqual([
      ['fence', 1],
      ['fence', 2],
    ]);
    const [one, two] = layout.groups.map((g) => g.attempts[0]);
    expect(one).toMatchObject({ leftPct: 10, widthPct: 60, durationMs: 6000 });
    expect(two).toMatchObject({ leftPct: 70, widthPct: 20, durationMs: 2000 });
  });

  it("puts a reboot's attempts after the verified off in a power-on phase", () => {
    const layout = layoutTimeline(
      incident({
        action: 'reboot',
        attempts: [attempt(1, 0, 1000, 'off'), attempt(1, 1500, 2500, 'on')],
        updatedAt: at(2500),
      }),
      t0,
    );
    expect(layout.groups.map((g) => [g.phase, g.level, g.attempts[0]?.attempt.outcome])).toEqual([
      ['fence', 1, 'off'],
      ['power-on', 1, 'on'],
    ]);
  });

  it('keeps tiny attempts visible, refused reports on the axis, and an open incident running to now', () => {
    const layout = layoutTimeline(
      incident({
        state: 'fencing',
        updatedAt: at(100),
        attempts: [attempt(1, 0, 1, 'error')],
        refusedReports: [{ reporter: 'b', at: at(500), code: 'reporter-fenced' }],
      }),
      t0 + 1000,
    );
    expect(layout.spanMs).toBe(1000);
    expect(layout.groups[0]?.attempts[0]?.widthPct).toBeGreaterThanOrEqual(0.6);
    expect(layout.refused).toEqual([
      expect.objectContaining({ reporter: 'b', code: 'reporter-fenced', leftPct: 50 }),
    ]);
  });
});

describe('routes and helpers of the page', () => {
  it('round-trips every route through the URL hash, names encoded', () => {
    const routes: Route[] = [
      { view: 'overview' },
      { view: 'incidents', cluster: 'prod-db' },
      { view: 'incidents', cluster: 'prod-db', state: 'fenced', node: 'node-b' },
      { view: 'incident', cluster: 'prod.db', incidentId: '0mx21qzwu-370163ae' },
    ];
    for (const route of routes) expect(parseRoute(hrefOf(route))).toEqual(route);
    expect(parseRoute('#/clusters/%E0%A4%A')).toEqual({ view: 'overview' });
    expect(parseRoute('#/nowhere')).toEqual({ view: 'overview' });
  });

  it('finds the API one level above the page, under any prefix', () => {
    expect(apiBase('http://127.0.0.1:7071/api/ui/#/clusters/x')).toBe('/api');
    expect(apiBase('https://fencer.example/api/ui/?x=1')).toBe('/api');
  });

  it('formats durations for people', () => {
    expect(formatDuration(30)).toBe('0.03 s');
    expect(formatDuration(12_400)).toBe('12.4 s');
    expect(formatDuration(125_000)).toBe('2 min 5 s');
    expect(formatDuration(-1)).toBe('?');
  });
});
