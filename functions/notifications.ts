import { app, type InvocationContext, type Timer } from '@azure/functions';
import { dispatchDue } from '../core/notifications/dispatcher.ts';
import { getRuntime, invocationLog } from './deps.ts';

/**
 * Every 5 s: tries the notifications that are due (DESIGN: the first try within 5 s of the
 * event, then retries with backoff for an hour). Never on a fence's path: the worker only
 * writes the outbox.
 */
export async function notificationsHandler(
  _timer: Timer,
  context: InvocationContext,
): Promise<void> {
  const runtime = await getRuntime();
  const tried = await dispatchDue({
    ...runtime,
    hooks: runtime.config.notifications,
    secret: runtime.loaded.secret,
    log: invocationLog(context),
  });
  if (tried > 0) context.info(JSON.stringify({ msg: 'notifications', tried }));
}

app.timer('notifications', { schedule: '*/5 * * * * *', handler: notificationsHandler });
