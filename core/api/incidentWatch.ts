import type { Clock } from '../clock.ts';
import { type Incident, isTerminal } from '../protocol/api.ts';

type Read = (cluster: string, id: string) => Promise<Incident | undefined>;

interface Waiter {
  until: number;
  resolve: (incident: Incident | undefined) => void;
  reject: (err: unknown) => void;
}

interface Watched {
  waiters: Set<Waiter>;
  nap?: AbortController;
  napUntil: number;
  /** Changed since the read in flight began (an in-process signal): read again at once. */
  dirty: boolean;
  delay: number;
}

/** Re-reads start this fast and slow down to `maxMs` (an incident mostly ends within a second). */
export interface WatchPace {
  firstMs: number;
  maxMs: number;
}

/**
 * One ledger watch per incident for every long-poll waiting on it (DESIGN "Local host"): the
 * incident is re-read while anyone waits — fast at first, then every `maxMs` — and at once when
 * this process changed it (`notify`, the in-process signal of a decision). Each waiter gets it
 * as soon as it is terminal, or at its own deadline. 100 waiting hooks cost one read, not 100.
 */
export class IncidentWatch {
  private readonly watched = new Map<string, Watched>();

  constructor(
    private readonly read: Read,
    private readonly clock: Clock,
    private readonly pace: WatchPace = { firstMs: 25, maxMs: 250 },
  ) {}

  /** The incident once terminal, else its latest view at `until`; undefined if it is unknown. */
  wait(cluster: string, id: string, until: number): Promise<Incident | undefined> {
    const key = `${cluster}\n${id}`;
    return new Promise((resolve, reject) => {
      const entry = this.watched.get(key);
      const waiter = { until, resolve, reject };
      if (entry) {
        entry.waiters.add(waiter);
        // Only a deadline sooner than the current nap's end needs an earlier look.
        if (until < entry.napUntil) entry.nap?.abort();
        return;
      }
      const fresh: Watched = {
        waiters: new Set([waiter]),
        napUntil: 0,
        dirty: false,
        delay: this.pace.firstMs,
      };
      this.watched.set(key, fresh);
      void this.run(key, cluster, id, fresh);
    });
  }

  /** This process just changed the incident: waiters learn it now, not at the next poll. */
  notify(cluster: string, id: string): void {
    const entry = this.watched.get(`${cluster}\n${id}`);
    if (!entry) return;
    entry.dirty = true;
    entry.delay = this.pace.firstMs;
    entry.nap?.abort();
  }

  private async run(key: string, cluster: string, id: string, entry: Watched): Promise<void> {
    try {
      while (entry.waiters.size > 0) {
        entry.dirty = false;
        const incident = await this.read(cluster, id);
        const now = this.clock.now();
        for (const waiter of entry.waiters) {
          if (!incident || isTerminal(incident.state) || now >= waiter.until) {
            entry.waiters.delete(waiter);
            waiter.resolve(incident);
          }
        }
        if (entry.waiters.size === 0) break;
        if (entry.dirty) continue;
        const nearest = Math.min(...[...entry.waiters].map((w) => w.until));
        const nap = Math.max(0, Math.min(entry.delay, nearest - now));
        entry.delay = Math.min(this.pace.maxMs, Math.ceil(entry.delay * 1.6));
        entry.nap = new AbortController();
        entry.napUntil = now + nap;
        await this.clock.sleep(nap, entry.nap.signal).catch(() => undefined);
      }
    } catch (err) {
      // Each waiter's request answers with the error (503 or 500), as its own read would have.
      for (const waiter of entry.waiters) waiter.reject(err);
      entry.waiters.clear();
    } finally {
      this.watched.delete(key);
    }
  }
}
