/** The logging port: pino in the hosts, a recorder in tests. Never pass secrets in `fields`. */
export interface Log {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export const silentLog: Log = { info() {}, warn() {}, error() {} };
