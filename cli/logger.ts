import { pino } from 'pino';
import type { Log } from '../core/log.ts';

/** JSON lines on stderr (stdout stays for command output). Secret-looking fields are redacted. */
export function createLogger(name: string, level = process.env.FENCER_LOG_LEVEL ?? 'info'): Log {
  const logger = pino(
    {
      name,
      level,
      redact: {
        paths: [
          '*.secret',
          '*.password',
          '*.key',
          '*.authorization',
          'secret',
          'password',
          'headers["x-fencer-signature"]',
        ],
        censor: '[redacted]',
      },
      base: { pid: process.pid },
    },
    pino.destination({ fd: 2, sync: true }),
  );
  return {
    info: (fields, message) => logger.info(fields, message),
    warn: (fields, message) => logger.warn(fields, message),
    error: (fields, message) => logger.error(fields, message),
  };
}
