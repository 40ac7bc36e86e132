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
