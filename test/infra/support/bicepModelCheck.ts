import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CompositeMapper, Mapper } from '@azure/core-client';
import { type ArmModel, armModel, composite } from './armModels.ts';
import { type Declaration, type Node, parseBicep } from './bicepSyntax.ts';

export interface Finding {
  readonly at: string;
  readonly problem: string;
}

/**
 * What a Bicep value can look like at deploy time, as far as property names go: a ternary or
 * a var with several forms yields every form, `union(…)` merges objects, `concat(…)` arrays.
 */
export type Shape =
  | { kind: 'object'; entries: [key: string | null, alternatives: Shape[]][] }
  | { kind: 'array'; items: Shape[] }
  | { kind: 'value'; literal?: string };

/** A node of the wire JSON a model accepts: a mapper, and/or the children of a flattened path. */
interface Wire {
  mapper?: Mapper;
  children?: Map<string, Wire>;
}

/** Bicep's own keys of a resource body, which are not part of the ARM model. */
const bicepKeys = new Set(['parent', 'scope', 'dependsOn', 'name']);

/** Every resource of the Bicep files in `dir` (main.bicep and modules/), checked against its model. */
export async function bicepModelFindings(dir: string): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const file of bicepFiles(dir)) {
    const declarations = parseBicep(readFileSync(join(dir, file), 'utf8'));
    const vars = new Map(
      declarations.filter((d) => d.keyword === 'var').map((d) => [d.name, d.value] as const),
    );
    for (const resource of declarations.filter((d) => d.keyword === 'resource')) {
      findings.push(...(await resourceFindings(`${file} ${resource.name}`, resource, vars)));
    }
  }
  return findings;
}

export function bicepFiles(dir: string): string[] {
  return ['main.bicep', ...readdirSync(join(dir, 'modules')).map((f) => `modules/${f}`)];
}

async function resourceFindings(
  at: string,
  resource: Declaration,
  vars: ReadonlyMap<string, Node | undefined>,
): Promise<Finding[]> {
  const [type = '', version = ''] = (resource.target ?? '').split('@');
  const model = await armModel(type);
  if (!model) return [{ at, problem: `no SDK here carries a model of ${type}` }];
  if (version !== model.apiVersion) {
    return [
      {
        at,
        problem: `${type}@${version}: the model here (${model.source}) is api-version ${model.apiVersion}`,
      },
    ];
  }
  const findings: Finding[] = [];
  const root: Wire = { mapper: model.body };
  // `= [for …: {…}]` and `= if (…) {…}` declare the body inside.
  let body = resource.value;
  while (body?.kind === 'for' || body?.kind === 'if') body = body.body;
  for (const shape of shapes(body, vars, new Set())) {
    if (shape.kind !== 'object') {
      findings.push({ at, problem: 'the body is not an object' });
      continue;
    }
    const own = { ...shape, entries: shape.entries.filter(([key]) => !bicepKeys.has(key ?? '')) };
    check(own, root, model, `${at} (${type}@${version})`, findings, true);
  }
  return dedupe(findings);
}

/**
 * The shapes a value can take. `assume` fixes boolean vars (`isFlex`): a ternary on one of
 * them yields only the branch taken, so a rule can look at one hosting plan's body.
 */
export function shapes(
  node: Node | undefined,
  vars: ReadonlyMap<string, Node | undefined>,
  seen: ReadonlySet<string> = new Set(),
  assume: ReadonlyMap<string, boolean> = new Map(),
): Shape[] {
  if (!node) return [{ kind: 'value' }];
  const of = (n: Node) => shapes(n, vars, seen, assume);
  switch (node.kind) {
    case 'object':
      return [{ kind: 'object', entries: node.entries.map((e) => [e.key, of(e.value)]) }];
    case 'array':
      return [{ kind: 'array', items: node.items.flatMap(of) }];
    case 'for':
      return [{ kind: 'array', items: of(node.body) }];
    case 'if':
      return of(node.body);
    case 'ternary': {
      const fixed = node.condition.kind === 'ident' ? assume.get(node.condition.name) : undefined;
      if (fixed !== undefined) return of(fixed ? node.then : node.else);
      return [...of(node.then), ...of(node.else)];
    }
    case 'string':
      return [node.text === null ? { kind: 'value' } : { kind: 'value', literal: node.text }];
    case 'ident': {
      if (!vars.has(node.name) || seen.has(node.name)) return [{ kind: 'value' }];
      return shapes(vars.get(node.name), vars, new Set([...seen, node.name]), assume);
    }
    case 'call': {
      const args = node.args.map(of);
      if (node.callee === 'union' && args.every((a) => a.every((s) => s.kind === 'object'))) {
        const entries = args.flat().flatMap((s) => (s.kind === 'object' ? s.entries : []));
        return [{ kind: 'object', entries }];
      }
      if (node.callee === 'concat' && args.every((a) => a.every((s) => s.kind === 'array'))) {
        return [
          { kind: 'array', items: args.flat().flatMap((s) => (s.kind === 'array' ? s.items : [])) },
        ];
      }
      return [{ kind: 'value' }];
    }
    default:
      return [{ kind: 'value' }];
  }
}

function check(
  shape: Shape,
  wire: Wire,
  model: ArmModel,
  path: string,
  findings: Finding[],
  top = false,
): void {
  const type = wire.mapper?.type.name;
  if (!wire.children && (type === undefined || type === 'Object')) return; // any JSON
  if (shape.kind === 'value') {
    const allowed = (wire.mapper?.type as { allowedValues?: unknown[] } | undefined)?.allowedValues;
    if (
      type === 'Enum' &&
      shape.literal !== undefined &&
      allowed &&
      !allowed.includes(shape.literal)
    ) {
      findings.push({
        at: path,
        problem: `'${shape.literal}' is not one of ${allowed.join(', ')}`,
      });
    }
    return;
  }
  if (shape.kind === 'array') {
    if (type !== 'Sequence') {
      findings.push({ at: path, problem: `an array where the model has ${type ?? 'an object'}` });
      return;
    }
    const element: Wire = {
      mapper: (wire.mapper?.type as { element?: Mapper } | undefined)?.element,
    };
    for (const item of shape.items) check(item, element, model, `${path}[]`, findings);
    return;
  }
  if (type === 'Dictionary') {
    const value: Wire = { mapper: (wire.mapper?.type as { value?: Mapper } | undefined)?.value };
    for (const [key, alternatives] of shape.entries) {
      for (const s of alternatives) check(s, value, model, `${path}.${key ?? '*'}`, findings);
    }
    return;
  }
  const children = childrenOf(wire, shape, model);
  if (!children) {
    findings.push({ at: path, problem: `an object where the model has ${type}` });
    return;
  }
  const open =
    type === 'Composite' &&
    Boolean(
      (composite(wire.mapper as Mapper, model.mappers).type as { additionalProperties?: unknown })
        .additionalProperties,
    );
  for (const [key, alternatives] of shape.entries) {
    const child = key === null ? undefined : children.get(key);
    if (!child) {
      if (!open)
        findings.push({
          at: path,
          problem: `${key ?? '(computed key)'} is not a property of the model`,
        });
      continue;
    }
    if (child.mapper?.readOnly) findings.push({ at: path, problem: `${key} is read-only` });
    for (const s of alternatives) check(s, child, model, `${path}.${key}`, findings);
  }
  for (const [key, child] of children) {
    const given = shape.entries.some(([k]) => k === key);
    if (!given && required(child) && !(top && bicepKeys.has(key))) {
      findings.push({ at: path, problem: `${key} is required by the model` });
    }
  }
}

/** The wire children of an object node: a flattened path's, or a composite model's. */
function childrenOf(wire: Wire, shape: Shape, model: ArmModel): Map<string, Wire> | undefined {
  if (wire.children) return wire.children;
  if (wire.mapper?.type.name !== 'Composite') return undefined;
  let mapper = composite(wire.mapper, model.mappers);
  const discriminator = mapper.type.polymorphicDiscriminator;
  if (discriminator && shape.kind === 'object') {
    const value = shape.entries
      .find(([k]) => k === discriminator.serializedName.replaceAll('\\.', '.'))?.[1]
      .find((s) => s.kind === 'value' && s.literal !== undefined);
    const byValue = model.mappers.discriminators as Record<string, CompositeMapper> | undefined;
    const sub =
      value?.kind === 'value' ? byValue?.[`${mapper.type.uberParent}.${value.literal}`] : undefined;
    if (sub) mapper = sub;
  }
  const children = new Map<string, Wire>();
  for (const property of Object.values(mapper.type.modelProperties ?? {})) {
    const segments = (property.serializedName ?? '')
      .split(/(?<!\\)\./)
      .map((s) => s.replaceAll('\\.', '.'));
    let level = children;
    for (const [i, segment] of segments.entries()) {
      let node = level.get(segment);
      if (!node) {
        node = {};
        level.set(segment, node);
      }
      if (i === segments.length - 1) node.mapper = property;
      else level = node.children ??= new Map();
    }
  }
  return children;
}

function required(wire: Wire): boolean {
  if (wire.mapper)
    return Boolean(wire.mapper.required && !wire.mapper.readOnly && !wire.mapper.isConstant);
  return [...(wire.children?.values() ?? [])].some(required);
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.at}\n${f.problem}`;
    return !seen.has(key) && Boolean(seen.add(key));
  });
}
