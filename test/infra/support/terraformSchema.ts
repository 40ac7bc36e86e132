import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../support/processes.ts';

/**
 * The arguments of a Terraform provider's resources, data sources and provider block, read
 * from the prebuilt CDKTF bindings (@cdktf/provider-azurerm, @cdktf/provider-aws), which are
 * generated from `terraform providers schema -json` of one provider release. No provider can
 * run here; these bindings carry its schema offline.
 *
 * Each binding's `lib/<name>/index.d.ts` declares one config interface per block; every
 * argument there carries its Terraform name in a doc link (`…/docs/resources/<type>#<arg>`),
 * is optional (`?`) unless the schema requires it, and names the interface of a nested block
 * (`Foo[]` for a list or set block, `Foo` for a block of at most one). Only arguments are in
 * these interfaces: computed-only attributes (ids, hostnames) are not.
 */
export interface BlockSchema {
  readonly attributes: ReadonlyMap<string, { readonly required: boolean }>;
  readonly blocks: ReadonlyMap<
    string,
    { readonly required: boolean; readonly list: boolean; readonly schema: BlockSchema }
  >;
}

export interface ProviderSchema {
  /** `azurerm`, `aws`: the prefix of its resource types. */
  readonly name: string;
  readonly package: string;
  readonly packageVersion: string;
  /** The provider release the binding was generated from (package.json `cdktf.provider`). */
  readonly version: string;
  providerBlock(): BlockSchema;
  resource(type: string): BlockSchema | undefined;
  dataSource(type: string): BlockSchema | undefined;
}

const bindings = { azurerm: '@cdktf/provider-azurerm', aws: '@cdktf/provider-aws' } as const;
export type ProviderName = keyof typeof bindings;

/** One parse per binding file and test run (vitest runs each test file in its own worker). */
const cache = new Map<string, BlockSchema | undefined>();
const providers = new Map<ProviderName, ProviderSchema>();

export function providerSchema(name: ProviderName): ProviderSchema {
  const existing = providers.get(name);
  if (existing) return existing;
  const dir = join(repoRoot, 'node_modules', bindings[name]);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    version: string;
    cdktf?: { provider?: { name?: string; version?: string } };
  };
  const source = pkg.cdktf?.provider;
  if (source?.name !== `registry.terraform.io/hashicorp/${name}` || !source.version) {
    throw new Error(`${bindings[name]} does not say which ${name} release it was generated from`);
  }
  const load = (libName: string, tfType: string) => {
    const key = `${name}/${libName}`;
    if (!cache.has(key))
      cache.set(key, readBinding(join(dir, 'lib', libName, 'index.d.ts'), tfType));
    return cache.get(key);
  };
  const schema: ProviderSchema = {
    name,
    package: bindings[name],
    packageVersion: pkg.version,
    version: source.version,
    providerBlock: () => {
      const block = load('provider', name);
      if (!block) throw new Error(`${bindings[name]} has no provider config`);
      return block;
    },
    // `azurerm_storage_queue` → lib/storage-queue; `data "aws_iam_role"` → lib/data-aws-iam-role.
    resource: (type) => load(type.slice(name.length + 1).replaceAll('_', '-'), type),
    dataSource: (type) => load(`data-${type.replaceAll('_', '-')}`, type),
  };
  providers.set(name, schema);
  return schema;
}

/** The config interfaces of one binding file, as a tree of blocks; undefined if none. */
function readBinding(file: string, tfType: string): BlockSchema | undefined {
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  // The class says which Terraform type it binds, so a naming quirk cannot alias another type.
  const declared = /static readonly tfResourceType = "([^"]+)";/.exec(text)?.[1];
  if (declared !== tfType) return undefined;
  const interfaces = new Map<string, string>();
  for (const m of text.matchAll(
    /^export interface (\w+)(?: extends ([\w.]+))? \{\n([\s\S]*?)^\}/gm,
  )) {
    interfaces.set(m[1] ?? '', m[3] ?? '');
  }
  const root = [...text.matchAll(/^export interface (\w+) extends cdktf\.TerraformMetaArguments/gm)]
    .map((m) => m[1])
    .concat([...text.matchAll(/^export interface (\w+ProviderConfig) \{/gm)].map((m) => m[1]));
  if (root.length !== 1 || !root[0]) throw new Error(`${file}: expected one config interface`);
  return block(root[0], interfaces, file, new Set());
}

function block(
  name: string,
  interfaces: ReadonlyMap<string, string>,
  file: string,
  seen: ReadonlySet<string>,
): BlockSchema {
  const body = interfaces.get(name);
  if (body === undefined) throw new Error(`${file}: no interface ${name}`);
  if (seen.has(name)) throw new Error(`${file}: ${name} nests itself`);
  const attributes = new Map<string, { required: boolean }>();
  const blocks = new Map<string, { required: boolean; list: boolean; schema: BlockSchema }>();
  // One member per doc comment: `/** … {@link …#snake_name …} … */ readonly camelName?: Type;`
  for (const member of body.split('/**').slice(1)) {
    const tfName = /\{@link https:\/\/registry\.terraform\.io\/providers\/\S+#(\w+) /.exec(
      member,
    )?.[1];
    const declaration = /\*\/\s*readonly (\w+)(\?)?: ([\s\S]+?);\s*$/.exec(member);
    if (!tfName || !declaration) throw new Error(`${file}: cannot read a member of ${name}`);
    const required = declaration[2] !== '?';
    const type = (declaration[3] ?? '').replace(/\s*\|\s*cdktf\.IResolvable$/, '').trim();
    const nested = /^(\w+)(\[\])?$/.exec(type);
    if (nested?.[1] && interfaces.has(nested[1])) {
      blocks.set(tfName, {
        required,
        list: nested[2] === '[]',
        schema: block(nested[1], interfaces, file, new Set([...seen, name])),
      });
    } else {
      attributes.set(tfName, { required });
    }
  }
  if (attributes.size + blocks.size === 0) {
    // An empty block (`features {}` has only optional children, never none): a parse slip.
    if (body.trim() !== '') throw new Error(`${file}: read nothing from ${name}`);
  }
  return { attributes, blocks };
}
