import { app, type InvocationContext, type Timer } from '@azure/functions';
import { sweep } from '../core/worker/sweeper.ts';
import { getRuntime, invocationLog } from './deps.ts';

/**
 * Every 20 s: due settle/quorum transitions, fences whose worker died (resumed well within
 * the 60 s bound of DESIGN.md), lagging projections, expired replay entries. Not
 * `runOnStartup`: that would run it on every instance start and scale-out as well (the
 * @azure/functions TimerOptions advise against it in production); the schedule alone keeps
 * the 60 s bound.
 */
export async function sweeperHandler(_timer: Timer, context: InvocationContext): Promise<void> {
  const runtime = await getRuntime();
  const result = await sweep({ ...runtime, log: invocationLog(context) });
  if (result.resent > 0 || result.expired > 0)
    context.info(JSON.stringify({ msg: 'sweep', ...result }));
}

app.timer('sweeper', { schedule: '*/20 * * * * *', handler: sweeperHandler });
