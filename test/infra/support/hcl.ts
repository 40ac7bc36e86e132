import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from '@cdktf/hcl2json';

export const terraformDir = fileURLToPath(new URL('../../../infra/terraform', import.meta.url));

/** What @cdktf/hcl2json makes of HCL: blocks become arrays of objects, expressions `${…}`. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** Every .tf file of a root module (infra/terraform by default), parsed; block lists of the same kind are concatenated. */
export async function loadTerraform(
  dir = terraformDir,
): Promise<{ files: string[]; doc: Record<string, Json> }> {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.tf'))
    .sort();
  const doc: Record<string, Json> = {};
  for (const file of files) {
    const parsed = (await parse(file, readFileSync(join(dir, file), 'utf8'))) as Record<
      string,
      Json
    >;
    mergeInto(doc, parsed);
  }
  return { files, doc };
}

function mergeInto(target: Record<string, Json>, source: Record<string, Json>): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (Array.isArray(existing) && Array.isArray(value)) existing.push(...value);
    else if (isObject(existing) && isObject(value)) mergeInto(existing, value);
    else if (existing !== undefined) throw new Error(`${key} is declared twice`);
    else target[key] = value;
  }
}

export function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The one block of a kind and name, e.g. `block(doc, 'resource', 'aws_iam_role', 'fence')`. */
export function block(doc: Record<string, Json>, ...path: string[]): { [key: string]: Json } {
  let current: Json | undefined = doc;
  for (const key of path) current = isObject(current) ? current[key] : undefined;
  return single(current, path.join('.'));
}

/** A nested block list as objects (hcl2json writes every block as a list). */
export function list(value: Json | undefined): { [key: string]: Json }[] {
  return (Array.isArray(value) ? value : value === undefined ? [] : [value]).filter(isObject);
}

/** The only block of a list (a nested `site_config`, a `locals`…). */
export function single(value: Json | undefined, what = 'block'): { [key: string]: Json } {
  const found = list(value);
  if (found.length !== 1 || !found[0])
    throw new Error(`expected one ${what}, found ${found.length}`);
  return found[0];
}

/** Every block of a resource type: `[name, body]` (a `count`/`for_each` block once). */
export function resources(
  doc: Record<string, Json> | undefined,
  type: string,
): [string, { [key: string]: Json }][] {
  const byType = isObject(doc?.resource) ? doc.resource[type] : undefined;
  return Object.entries(isObject(byType) ? byType : {}).flatMap(([name, bodies]) =>
    list(bodies).map((b) => [name, b] as [string, { [key: string]: Json }]),
  );
}

/**
 * The entries of an app_settings value: a literal map, or `merge(local.a, local.b, …)` of
 * locals that are literal maps. A local that is not a map shows as key `?`.
 */
export function settingsOf(doc: Record<string, Json>, value: Json | undefined): Map<string, Json> {
  const found = new Map<string, Json>();
  if (isObject(value)) for (const [k, v] of Object.entries(value)) found.set(k, v);
  if (typeof value !== 'string') return found;
  const locals = list(doc.locals);
  for (const [, name = ''] of value.matchAll(/local\.(\w+)/g)) {
    const local = locals.find((l) => l[name] !== undefined)?.[name];
    if (isObject(local)) for (const [k, v] of Object.entries(local)) found.set(k, v);
    else found.set('?', String(local));
  }
  return found;
}
