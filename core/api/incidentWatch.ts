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
}

/**
 * One ledger watch per incident for every long-poll waiting on it (DESIGN "Local host"): the
 * incident is re-read every `pollMs` while anyone waits, and each waiter gets it as soon as it
 * is terminal, or at its own deadline. 100 waiting hooks cost one read per poll, not 100.
 */
export class IncidentWatch {
  private readonly watched = new Map<string, Watched>();

  constructor(
    private readonly read: Read,
    private readonly clock: Clock,
    private readonly pollMs = 200,
  ) {}

  /** The incident once terminal, else its latest view at `until`; undefined if it is unknown. */
  wait(cluster: string, id: string, until: number): Promise<Incident | undefined> {
    const key = `${cluster}\n${id}`;
    return new Promise((resolve, reject) => {
      const entry = this.watched.get(key);
      const waiter = { until, resolve, reject };
      if (entry) {
        entry.waiters.add(waiter);
        entry.nap?.abort(); // a new deadline may come sooner than the current nap ends
        return;
      }
      const fresh: Watched = { waiters: new Set([waiter]) };
      this.watched.set(key, fresh);
      void this.run(key, cluster, id, fresh);
    });
  }

  private async run(key: string, cluster: string, id: string, entry: Watched): Promise<void> {
    try {
      while (entry.waiters.size > 0) {
        const incident = await this.read(cluster, id);
        const now = this.clock.now();
        for (const waiter of entry.waiters) {
          if (!incident || isTerminal(incident.state) || now >= waiter.until) {
            entry.waiters.delete(waiter);
            waiter.resolve(incident);
          }
        }
        if (entry.waiters.size === 0) break;
        const nearest = Math.min(...[...entry.waiters].map((w) => w.until));
        entry.nap = new AbortController();
        await this.clock
          .sleep(Math.max(0, Math.min(this.pollMs, nearest - now)), entry.nap.signal)
          .catch(() => undefined);
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
