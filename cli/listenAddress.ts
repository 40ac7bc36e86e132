import { isIP } from 'node:net';
import { UsageError } from './usageError.ts';

export interface ListenAddress {
  host: string;
  port: number;
}

/** `HOST:PORT`, `[V6]:PORT`; HOST is an IP address (a name could resolve anywhere). */
export function parseListen(text: string): ListenAddress {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([0-9.]+|localhost)):(\d{1,5})$/.exec(text.trim());
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!match || !host || port > 65535)
    throw new UsageError(`--listen ${text}: expected HOST:PORT or [IPv6]:PORT, e.g. 0.0.0.0:7071`);
  if (host === 'localhost') return { host: '127.0.0.1', port };
  if (isIP(host) === 0) throw new UsageError(`--listen ${text}: ${host} is not an IP address`);
  return { host, port };
}

/** 127.0.0.0/8 and ::1 (also as ::ffff:127.x): reachable from this machine only. */
export function isLoopback(host: string): boolean {
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) !== 6) return false;
  // The URL parser writes IPv6 in one canonical form (`::1`, `::ffff:7f00:1`).
  const canonical = new URL(`http://[${host}]/`).hostname.slice(1, -1);
  if (canonical === '::1') return true;
  const mapped = /^::ffff:([0-9a-f]{1,4}):[0-9a-f]{1,4}$/.exec(canonical);
  return mapped !== null && Number.parseInt(mapped[1] ?? '', 16) >> 8 === 127;
}

/**
 * Plain HTTP carries signed requests whose bodies (targets, reasons) anyone on the path could
 * read and whose answers anyone could forge: allowed on loopback only.
 */
export function checkTransport(address: ListenAddress, tls: boolean): void {
  if (tls || isLoopback(address.host)) return;
  throw new UsageError(
    `refusing to serve plain HTTP on ${address.host}: a non-loopback address needs --tls-cert FILE and --tls-key FILE (or listen on 127.0.0.1)`,
  );
}

export function urlOf(address: ListenAddress, tls: boolean): string {
  const host = isIP(address.host) === 6 ? `[${address.host}]` : address.host;
  return `${tls ? 'https' : 'http'}://${host}:${address.port}`;
}
