import type { Log } from '../core/log.ts';

/**
 * Runs `task` now and then every `everyMs` after the previous run ended (never two at once: a
 * slow round must not pile up). `wake()` runs it as soon as the current run (if any) ends.
 * `stop()` ends the loop and waits for a running task. `firstRun` settles when the first run
 * has ended (whether it failed or not).
 */
export function startPeriodic(
  task: () => Promise<unknown>,
  everyMs: number,
  log: Log,
  what: string,
): { wake(): void; stop(): Promise<void>; firstRun: Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  const run = () => {
    clearTimeout(timer);
    running = task()
      .then(
        () => undefined,
        (err: unknown) => log.warn({ err: String(err) }, `${what} failed`),
      )
      .finally(() => {
        running = undefined;
        if (stopped) return;
        if (again) {
          again = false;
          run();
        } else timer = setTimeout(run, everyMs);
      });
  };
  run();
  const firstRun = running ?? Promise.resolve();
  return {
    firstRun,
    wake() {
      if (stopped) return;
      if (running) again = true;
      else run();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
