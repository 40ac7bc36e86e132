import { app, type InvocationContext, type Timer } from '@azure/functions';
import { runReadinessTick } from '../core/readiness/tick.ts';
import { getRuntime, invocationLog } from './deps.ts';

/** How often the timer runs; each run checks the devices that are due (DESIGN "Readiness"). */
export const readinessTickMs = 30_000;

/**
 * Readiness checks with the identity that fences (the app's own), every 30 s: the devices due
 * within their cluster's readinessIntervalSeconds, spread per subscription/account/relay.
 */
export async function readinessHandler(_timer: Timer, context: InvocationContext): Promise<void> {
  const runtime = await getRuntime();
  const checked = await runReadinessTick(
    { ...runtime, log: invocationLog(context) },
    readinessTickMs,
  );
  if (checked > 0) context.info(JSON.stringify({ msg: 'readiness', checked }));
}

app.timer('readiness', { schedule: '*/30 * * * * *', handler: readinessHandler });
