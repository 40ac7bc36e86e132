import { readFileSync } from 'node:fs';
import type { RelayLimits } from './config.ts';

/**
 * File descriptors kept aside for the process itself (stdio, epoll, the thread pool, TLS and
 * config files, the log) and for each running action (a child's pipes, ipmitool's password
 * file, a vSphere socket). What is left may be held by client connections.
 */
const processReserve = 64;
const perRunningAction = 6;

/** The soft open-file limit of this process (Linux), or undefined when it cannot be read. */
export function openFileLimit(
  read: () => string = () => readFileSync('/proc/self/limits', 'utf8'),
): number | undefined {
  try {
    const match = /^Max open files\s+(\d+|unlimited)\s/m.exec(read());
    if (!match?.[1] || match[1] === 'unlimited') return undefined;
    return Number(match[1]);
  } catch {
    return undefined;
  }
}

/**
 * `maxConnections`, lowered when the open-file limit could not hold that many connections and
 * the running actions besides: a relay out of descriptors cannot spawn ipmitool, so a
 * connection flood must be refused at the door, not where a fence needs a process.
 */
export function connectionBudget(
  limits: RelayLimits,
  nofile: number | undefined,
): { maxConnections: number; lowered: boolean } {
  if (nofile === undefined) return { maxConnections: limits.maxConnections, lowered: false };
  const fits = Math.max(4, nofile - processReserve - perRunningAction * limits.maxRunningActions);
  return fits < limits.maxConnections
    ? { maxConnections: fits, lowered: true }
    : { maxConnections: limits.maxConnections, lowered: false };
}
