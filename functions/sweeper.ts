import { app, type InvocationContext, type Timer } from '@azure/functions';
import { sweep } from '../core/worker/sweeper.ts';
import { getRuntime, invocationLog } from './deps.ts';

/**
 * Every 20 s: due settle/quorum transitions, fences whose worker died (resumed well within
 * the 60 s bound of DESIGN.md), lagging projections, expired replay entries.
 */
export async function sweeperHandler(_timer: Timer, context: InvocationContext): Promise<void> {
  const runtime = await getRuntime();
  const result = await sweep({ ...runtime, log: invocationLog(context) });
  if (result.resent > 0 || result.expired > 0)
    context.info(JSON.stringify({ msg: 'sweep', ...result }));
}

app.timer('sweeper', { schedule: '*/20 * * * * *', runOnStartup: true, handler: sweeperHandler });
