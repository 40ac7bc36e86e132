/**
 * Names (clusters, nodes, relays, keys) index config and state records. A name from the wire
 * such as `constructor` or `__proto__` must never reach Object.prototype: `in` and plain
 * indexing see inherited members, these helpers see own properties only.
 */
export function own<T>(record: Readonly<Record<string, T>>, name: string): T | undefined {
  return Object.hasOwn(record, name) ? record[name] : undefined;
}

export const hasOwnName = (record: Readonly<Record<string, unknown>>, name: string): boolean =>
  Object.hasOwn(record, name);
