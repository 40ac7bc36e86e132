import type { Attempt, Incident } from '../../core/protocol/api.ts';

/** Where something sits on the incident's time axis, in percent of its width. */
export interface Placed {
  leftPct: number;
  widthPct: number;
}

export interface PlacedAttempt extends Placed {
  attempt: Attempt;
  durationMs: number;
  /** A reboot's attempts after the verified off power the target on again. */
  phase: 'fence' | 'power-on';
}

export interface TimelineLayout {
  startMs: number;
  spanMs: number;
  /** Attempts grouped by phase then level, in the order they ran. */
  groups: { phase: PlacedAttempt['phase']; level: number; attempts: PlacedAttempt[] }[];
  opened: Placed;
  refused: (Placed & { reporter: string; at: string; code: string })[];
}

// A bar of a few milliseconds on a minute-long axis must still be visible.
const minWidthPct = 0.6;

/**
 * Lays an incident out on one time axis from its opening to its last change (or to `nowMs`
 * while it is still open), so every attempt's bar is drawn to scale against the others.
 */
export function layoutTimeline(incident: Incident, nowMs: number): TimelineLayout {
  const times = [
    Date.parse(incident.createdAt),
    Date.parse(incident.updatedAt),
    ...incident.attempts.flatMap((a) => [Date.parse(a.startedAt), Date.parse(a.endedAt)]),
    ...(incident.refusedReports ?? []).map((r) => Date.parse(r.at)),
  ].filter((t) => Number.isFinite(t));
  const open = incident.state === 'pending' || incident.state === 'fencing';
  const startMs = Math.min(...times);
  const endMs = Math.max(...times, open ? nowMs : Number.NEGATIVE_INFINITY);
  // An incident decided in the same millisecond still gets an axis.
  const spanMs = Math.max(endMs - startMs, 1);
  const place = (fromMs: number, toMs: number): Placed => {
    const leftPct = clamp(((fromMs - startMs) / spanMs) * 100, 0, 100 - minWidthPct);
    const widthPct = clamp(((toMs - fromMs) / spanMs) * 100, minWidthPct, 100 - leftPct);
    return { leftPct, widthPct };
  };

  const lastOff = incident.action === 'reboot' ? lastIndexWhere(incident.attempts, 'off') : -1;
  const groups: TimelineLayout['groups'] = [];
  incident.attempts.forEach((attempt, index) => {
    const phase = lastOff >= 0 && index > lastOff ? 'power-on' : 'fence';
    const from = Date.parse(attempt.startedAt);
    const to = Date.parse(attempt.endedAt);
    let group = groups.at(-1);
    if (!group || group.phase !== phase || group.level !== attempt.level) {
      group = { phase, level: attempt.level, attempts: [] };
      groups.push(group);
    }
    group.attempts.push({ attempt, phase, durationMs: to - from, ...place(from, to) });
  });

  const created = Date.parse(incident.createdAt);
  return {
    startMs,
    spanMs,
    groups,
    opened: place(created, created),
    refused: (incident.refusedReports ?? []).map((r) => ({
      ...r,
      ...place(Date.parse(r.at), Date.parse(r.at)),
    })),
  };
}

function lastIndexWhere(attempts: Attempt[], outcome: Attempt['outcome']): number {
  for (let i = attempts.length - 1; i >= 0; i--) if (attempts[i]?.outcome === outcome) return i;
  return -1;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
}
