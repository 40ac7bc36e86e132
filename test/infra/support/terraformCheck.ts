import { isObject, type Json, list } from './hcl.ts';
import { type BlockSchema, type ProviderName, providerSchema } from './terraformSchema.ts';

export interface Finding {
  readonly at: string;
  readonly problem: string;
}

/** Terraform's own arguments of a resource or data block, which no provider schema lists. */
const metaArguments = new Set([
  'count',
  'for_each',
  'depends_on',
  'lifecycle',
  'provider',
  'provisioner',
  'connection',
]);

/**
 * Every provider, resource and data block of a root module (hcl2json form) against the
 * provider's schema: the type exists, every argument and nested block exists, every required
 * one is given, and a block of at most one is given at most once.
 */
export function schemaFindings(doc: Record<string, Json>): Finding[] {
  const findings: Finding[] = [];
  for (const [name, blocks] of Object.entries(isObject(doc.provider) ? doc.provider : {})) {
    const provider = known(name);
    if (!provider) {
      findings.push({ at: `provider "${name}"`, problem: 'no provider schema here' });
      continue;
    }
    const schema = providerSchema(provider);
    for (const body of list(blocks)) {
      const own = Object.fromEntries(Object.entries(body).filter(([k]) => k !== 'alias'));
      block(
        `provider "${name}"`,
        own,
        schema.providerBlock(),
        `${name} ${schema.version}`,
        findings,
      );
    }
  }
  for (const kind of ['resource', 'data'] as const) {
    const types = doc[kind];
    for (const [type, named] of Object.entries(isObject(types) ? types : {})) {
      const provider = known(type.split('_')[0] ?? '');
      const at = (name: string) => `${kind} "${type}" "${name}"`;
      if (!provider) {
        findings.push({ at: at('*'), problem: `no provider schema here for ${type}` });
        continue;
      }
      const schema = providerSchema(provider);
      const found = kind === 'resource' ? schema.resource(type) : schema.dataSource(type);
      for (const [name, bodies] of Object.entries(isObject(named) ? named : {})) {
        if (!found) {
          findings.push({
            at: at(name),
            problem: `${type} is not a ${kind} type of ${provider} ${schema.version}`,
          });
          continue;
        }
        for (const body of list(bodies)) {
          const own = Object.fromEntries(
            Object.entries(body).filter(([k]) => !metaArguments.has(k)),
          );
          block(at(name), own, found, `${type} in ${provider} ${schema.version}`, findings);
        }
      }
    }
  }
  return findings;
}

function known(name: string): ProviderName | undefined {
  return name === 'azurerm' || name === 'aws' ? name : undefined;
}

function block(
  at: string,
  body: { [key: string]: Json },
  schema: BlockSchema,
  what: string,
  findings: Finding[],
): void {
  const given = new Set<string>();
  for (const [key, value] of Object.entries(body)) {
    if (key === 'dynamic') {
      // dynamic "name" { for_each = …; content { … } }: a nested block written by a loop.
      for (const [name, loops] of Object.entries(isObject(value) ? value : {})) {
        given.add(name);
        const nested = schema.blocks.get(name);
        if (!nested) {
          findings.push({ at, problem: `${name} is not a block of ${what}` });
          continue;
        }
        for (const loop of list(loops)) {
          for (const content of list(loop.content))
            block(`${at}.${name}`, content, nested.schema, what, findings);
        }
      }
      continue;
    }
    given.add(key);
    const nested = schema.blocks.get(key);
    if (nested) {
      if (!Array.isArray(value)) {
        findings.push({ at, problem: `${key} is a block of ${what}, not an argument` });
        continue;
      }
      if (!nested.list && value.length > 1) {
        findings.push({ at, problem: `${key} may be given once in ${what}` });
      }
      for (const item of list(value)) block(`${at}.${key}`, item, nested.schema, what, findings);
    } else if (!schema.attributes.has(key)) {
      findings.push({ at, problem: `${key} is not an argument of ${what}` });
    }
  }
  for (const [name, argument] of [...schema.attributes, ...schema.blocks]) {
    if (argument.required && !given.has(name)) {
      findings.push({ at, problem: `${name} is required by ${what}` });
    }
  }
}
