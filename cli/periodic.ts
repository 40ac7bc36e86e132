import type { Log } from '../core/log.ts';

/**
 * Runs `task` now and then every `everyMs` after the previous run ended (never two at once: a
 * slow readiness round must not pile up). `stop()` ends the loop and waits for a running task.
 */
export function startPeriodic(
  task: () => Promise<unknown>,
  everyMs: number,
  log: Log,
  what: string,
): { stop(): Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const run = () => {
    running = task()
      .then(
        () => undefined,
        (err: unknown) => log.warn({ err: String(err) }, `${what} failed`),
      )
      .finally(() => {
        if (!stopped) timer = setTimeout(run, everyMs);
      });
  };
  run();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
