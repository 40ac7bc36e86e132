import type { Shape } from './bicepModelCheck.ts';
import type { Node } from './bicepSyntax.ts';
import type { DeploySources } from './deploySources.ts';
import { list, resources } from './hcl.ts';

/**
 * What Azure, ARM or Terraform reject (or quietly get wrong) that no schema says: each rule
 * names the row of issue 13 it comes from and returns its problems (none = the rule holds).
 */
export interface Rule {
  readonly id: string;
  readonly row: string;
  check(src: DeploySources): string[];
}

export function bicepResource(src: DeploySources, file: string, type: string) {
  return src.bicep
    .get(file)
    ?.find((d) => d.keyword === 'resource' && d.target?.startsWith(`${type}@`));
}

export function bicepVars(src: DeploySources, file: string): Map<string, Node | undefined> {
  return new Map(
    (src.bicep.get(file) ?? []).filter((d) => d.keyword === 'var').map((d) => [d.name, d.value]),
  );
}

export function keysDeep(shape: Shape): string[] {
  if (shape.kind === 'object') {
    return shape.entries.flatMap(([k, alts]) => [k ?? '', ...alts.flatMap(keysDeep)]);
  }
  return shape.kind === 'array' ? shape.items.flatMap(keysDeep) : [];
}

/** Comment-free Bicep text of one file. */
export function bicepCode(src: DeploySources, file: string): string {
  return (src.bicepText.get(file) ?? '').replace(/(^|\s)\/\/.*$/gm, '$1');
}

export const roleActions = (src: DeploySources) => ({
  terraform: resources(src.terraform, 'azurerm_role_definition').flatMap(([, r]) =>
    list(r.permissions).flatMap((p) => (Array.isArray(p.actions) ? p.actions.map(String) : [])),
  ),
  bicep: (() => {
    const actions = bicepVars(src, 'modules/fencingRole.bicep').get('actions');
    return actions?.kind === 'array'
      ? actions.items.map((i) => (i.kind === 'string' ? String(i.text) : '?'))
      : [];
  })(),
});
