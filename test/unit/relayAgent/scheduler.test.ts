import { describe, expect, it } from 'vitest';
import { ActionScheduler, NotStartedError } from '../../../relay-agent/scheduler.ts';

/** A task that records when it starts and ends, and ends when the test says so. */
function gated(log: string[], name: string) {
  let open: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    open = resolve;
  });
  return {
    task: async () => {
      log.push(`start ${name}`);
      await done;
      log.push(`end ${name}`);
      return name;
    },
    open: () => open(),
  };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('ActionScheduler', () => {
  it('runs the actions of one device one at a time, in arrival order', async () => {
    // Prepare
    const scheduler = new ActionScheduler({ maxRunningActions: 8, maxQueuedActions: 64 });
    const log: string[] = [];
    const jobs = ['off', 'on', 'status', 'off2'].map((n) => gated(log, n));
    // Act
    const results = jobs.map((j) => scheduler.submit('bmc-a', j.task));
    await settle();
    expect(log).toEqual(['start off']);
    for (const job of jobs) {
      job.open();
      await settle();
    }
    // Assess
    expect(await Promise.all(results)).toEqual(['off', 'on', 'status', 'off2']);
    expect(log).toEqual([
      'start off',
      'end off',
      'start on',
      'end on',
      'start status',
      'end status',
      'start off2',
      'end off2',
    ]);
  });

  it('runs different devices in parallel up to maxRunningActions, then in order of arrival', async () => {
    const scheduler = new ActionScheduler({ maxRunningActions: 2, maxQueuedActions: 64 });
    const log: string[] = [];
    const [a, b, c] = ['a', 'b', 'c'].map((n) => gated(log, n));
    if (!a || !b || !c) throw new Error('unreachable');
    const results = [
      scheduler.submit('bmc-a', a.task),
      scheduler.submit('bmc-b', b.task),
      scheduler.submit('bmc-c', c.task),
    ];
    await settle();
    expect(log).toEqual(['start a', 'start b']);
    expect(scheduler.load()).toEqual({ running: 2, waiting: 1 });
    b.open();
    await settle();
    expect(log).toEqual(['start a', 'start b', 'end b', 'start c']);
    a.open();
    c.open();
    await Promise.all(results);
    expect(scheduler.load()).toEqual({ running: 0, waiting: 0 });
  });

  it('is full at maxQueuedActions, running and waiting together', async () => {
    const scheduler = new ActionScheduler({ maxRunningActions: 1, maxQueuedActions: 2 });
    const log: string[] = [];
    const [a, b] = ['a', 'b'].map((n) => gated(log, n));
    if (!a || !b) throw new Error('unreachable');
    const results = [scheduler.submit('x', a.task), scheduler.submit('y', b.task)];
    expect(scheduler.isFull()).toBe(true);
    a.open();
    b.open();
    await Promise.all(results);
    expect(scheduler.isFull()).toBe(false);
  });

  it('never starts an action whose signal aborted while it waited; the next one moves up', async () => {
    const scheduler = new ActionScheduler({ maxRunningActions: 4, maxQueuedActions: 64 });
    const log: string[] = [];
    const [first, late, next] = ['first', 'late', 'next'].map((n) => gated(log, n));
    if (!first || !late || !next) throw new Error('unreachable');
    const deadline = new AbortController();
    const running = scheduler.submit('bmc-a', first.task);
    const waiting = scheduler.submit('bmc-a', late.task, deadline.signal);
    const after = scheduler.submit('bmc-a', next.task);
    deadline.abort('deadline');
    await expect(waiting).rejects.toBeInstanceOf(NotStartedError);
    first.open();
    next.open();
    await Promise.all([running, after]);
    expect(log).toEqual(['start first', 'end first', 'start next', 'end next']);
    expect(scheduler.load()).toEqual({ running: 0, waiting: 0 });
  });

  it('frees the device when a task fails', async () => {
    const scheduler = new ActionScheduler({ maxRunningActions: 1, maxQueuedActions: 8 });
    const failing = scheduler.submit('bmc-a', async () => {
      throw new Error('BMC unreachable');
    });
    const next = scheduler.submit('bmc-a', async () => 'ok');
    await expect(failing).rejects.toThrow('BMC unreachable');
    expect(await next).toBe('ok');
  });
});
