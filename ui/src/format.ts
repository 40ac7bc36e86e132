/** `2026-05-01 14:02:03` in the operator's time zone (the ledger's times are UTC ISO 8601). */
export function formatTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

/** `0.03 s`, `1.52 s`, `12.4 s`, `2 min 5 s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 10_000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function durationBetween(startIso: string, endIso: string): number {
  return Date.parse(endIso) - Date.parse(startIso);
}

/** How long something has lasted, coarse enough to read at a glance: `40 s`, `5 min`, `3 h 5 min`, `2 d 4 h`. */
export function formatAge(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return `${h} h ${min % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** `14:02:03` when it is today (the operator's day), the full `formatTime` otherwise. */
export function formatTimeShort(iso: string, nowMs: number): string {
  const full = formatTime(iso);
  return full.slice(0, 10) === formatTime(new Date(nowMs).toISOString()).slice(0, 10)
    ? full.slice(11)
    : full;
}
