import { describe, expect, it } from 'vitest';
import type { NotificationConfig } from '../../../core/config/schema.ts';
import { silentLog } from '../../../core/log.ts';
import { dispatchDue, retryForMs } from '../../../core/notifications/dispatcher.ts';
import type { FencerEvent } from '../../../core/notifications/events.ts';
import { slackText } from '../../../core/notifications/format.ts';
import type { Outbox, OutboxEntry } from '../../../core/notifications/outbox.ts';
import { outboxEventSink } from '../../../core/notifications/sink.ts';
import { FakeClock } from '../../support/fakeClock.ts';

/** The outbox port in memory (the ledgers' implementations share its contract). */
function memoryOutbox(): Outbox & { entries: Map<string, OutboxEntry> } {
  const entries = new Map<string, OutboxEntry>();
  return {
    entries,
    async add(list) {
      const added = list.filter((e) => !entries.has(e.id));
      for (const e of added) entries.set(e.id, structuredClone(e));
      return added.map((e) => e.id);
    },
    async due(now) {
      return [...entries.values()].filter((e) => e.state === 'pending' && e.nextAt <= now);
    },
    async claim(entry, until) {
      const stored = entries.get(entry.id);
      if (!stored || stored.nextAt !== entry.nextAt) return false;
      stored.nextAt = until;
      return true;
    },
    async settle(entry) {
      entries.set(entry.id, structuredClone(entry));
    },
    async sweep() {
      return 0;
    },
  };
}

const event: FencerEvent = {
  id: 'ev-1',
  type: 'node.readiness',
  cluster: 'prod',
  time: '2026-11-29T00:00:00.000Z',
  data: {
    cluster: 'prod',
    node: 'db-2',
    state: 'member',
    readiness: 'unfenceable',
    previousReadiness: 'ready',
    detail: 'level 1: relay dc1 unreachable',
  },
};
const hooks: Record<string, NotificationConfig> = {
  oncall: { url: 'https://hooks.example/fencer', format: 'cloudevents' },
  chat: { url: 'https://chat.example/hook', format: 'slack', events: ['incident.failed'] },
};

describe('notification outbox and dispatcher', () => {
  it('one entry per webhook that wants the event, plus a marker; a repeat adds nothing', async () => {
    const clock = new FakeClock();
    const outbox = memoryOutbox();
    const sink = outboxEventSink({ outbox, hooks, clock, log: silentLog });
    await sink.emit(event);
    await sink.emit(event);
    expect([...outbox.entries.keys()].sort()).toEqual(['ev-1.', 'ev-1.oncall']);
  });

  it('retries with backoff capped at 60 s for an hour, then gives up; the id never changes', async () => {
    const clock = new FakeClock();
    const outbox = memoryOutbox();
    await outboxEventSink({ outbox, hooks, clock, log: silentLog }).emit(event);
    const posts: { at: number; body: string }[] = [];
    const deps = {
      outbox,
      hooks,
      secret: () => 'x',
      clock,
      log: silentLog,
      post: async (request: { body: string }) => {
        posts.push({ at: clock.now(), body: request.body });
        return 503;
      },
    };
    const start = clock.now();
    while (clock.now() - start <= retryForMs + 120_000) {
      await clock.run(dispatchDue(deps));
      await clock.run(clock.sleep(1_000));
    }
    const gaps = posts.slice(1).map((p, i) => p.at - (posts[i]?.at ?? 0));
    expect(gaps.slice(0, 6)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000]);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(61_000);
    expect(outbox.entries.get('ev-1.oncall')?.state).toBe('dead');
    expect(new Set(posts.map((p) => JSON.parse(p.body).id))).toEqual(new Set(['ev-1']));
    expect((posts.at(-1)?.at ?? 0) - start).toBeGreaterThanOrEqual(retryForMs - 61_000);
  });

  it('formats a Slack-compatible line that names the node and what is wrong', () => {
    expect(slackText(event)).toBe(
      ':rotating_light: prod/db-2 is unfenceable (was ready, member): level 1: relay dc1 unreachable',
    );
  });
});
