import { ExecError } from '../errors.ts';
import type { Budget } from './vsphere.ts';
import { child, children, type MoRef, moref, refXml, text, xmlEscape } from './vsphereSoap.ts';

export interface VmSelector {
  name?: string | undefined;
  moref?: string | undefined;
  vmx?: string | undefined;
}

/** One inventory object with the properties the lookup reads. */
export interface InventoryObject {
  ref: MoRef;
  props: Record<string, string>;
}

/**
 * Finds the VM of a target. A MoRef is taken as is (a wrong one fails at the first call with
 * ManagedObjectNotFound). A name or .vmx path is looked up in a container view of the whole
 * inventory; more than one match is an error, never a guess: fencing the wrong VM is worse
 * than fencing none.
 */
export async function findVm(
  b: Budget,
  content: { propertyCollector: MoRef; rootFolder: MoRef; viewManager: MoRef },
  selector: VmSelector,
): Promise<MoRef> {
  if (selector.moref) return { type: 'VirtualMachine', value: selector.moref };
  const view = moref(
    await b.soap.call(
      'CreateContainerView',
      `${refXml('_this', content.viewManager)}${refXml('container', content.rootFolder)}` +
        '<type>VirtualMachine</type><type>Datastore</type><recursive>true</recursive>',
      b.remaining(),
    ),
  );
  if (!view) throw new ExecError('protocol', 'CreateContainerView: no view in the answer');
  try {
    const inventory = await listInventory(b, content.propertyCollector, view);
    return pickVm(inventory, selector);
  } finally {
    await b.soap.call('DestroyView', refXml('_this', view), b.remaining()).catch(() => undefined);
  }
}

async function listInventory(b: Budget, collector: MoRef, view: MoRef): Promise<InventoryObject[]> {
  const spec =
    '<specSet>' +
    '<propSet><type>VirtualMachine</type><pathSet>name</pathSet>' +
    '<pathSet>config.files.vmPathName</pathSet></propSet>' +
    '<propSet><type>Datastore</type><pathSet>name</pathSet><pathSet>summary.url</pathSet></propSet>' +
    `<objectSet>${refXml('obj', view)}<skip>true</skip>` +
    '<selectSet xsi:type="TraversalSpec"><type>ContainerView</type><path>view</path>' +
    '<skip>false</skip></selectSet></objectSet></specSet>';
  const objects: InventoryObject[] = [];
  let result = await b.soap.call(
    'RetrievePropertiesEx',
    `${refXml('_this', collector)}${spec}<options></options>`,
    b.remaining(),
  );
  for (let page = 0; page < 1000; page++) {
    for (const node of children(result, 'objects')) {
      const ref = moref(child(node, 'obj'));
      if (!ref) continue;
      const props: Record<string, string> = {};
      for (const prop of children(node, 'propSet')) {
        const key = text(child(prop, 'name'));
        if (key) props[key] = text(child(prop, 'val')) ?? '';
      }
      objects.push({ ref, props });
    }
    // Large inventories come in pages; the token fetches the next one.
    const token = text(child(result, 'token'));
    if (!token) break;
    result = await b.soap.call(
      'ContinueRetrievePropertiesEx',
      `${refXml('_this', collector)}<token>${xmlEscape(token)}</token>`,
      b.remaining(),
    );
  }
  return objects;
}

/**
 * Matches by name, or by .vmx path written either as vSphere's `[datastore] dir/vm.vmx` or as
 * the ESXi shell path `/vmfs/volumes/<datastore name or uuid>/dir/vm.vmx` (LifeKeeper's form).
 */
export function pickVm(inventory: InventoryObject[], selector: VmSelector): MoRef {
  const vms = inventory.filter((o) => o.ref.type === 'VirtualMachine');
  let matches: InventoryObject[];
  let wanted: string;
  if (selector.name !== undefined) {
    wanted = `name ${JSON.stringify(selector.name)}`;
    matches = vms.filter((vm) => vm.props['name'] === selector.name);
  } else {
    const vmx = selector.vmx ?? '';
    wanted = `vmx ${JSON.stringify(vmx)}`;
    const paths = new Set(datastorePaths(vmx, inventory));
    matches = vms.filter((vm) => paths.has(vm.props['config.files.vmPathName'] ?? ''));
  }
  const [first, second] = matches;
  if (!first) throw new ExecError('not-found', `no VM with ${wanted}`);
  if (second) {
    throw new ExecError(
      'not-found',
      `${matches.length} VMs with ${wanted} (${matches.map((m) => m.ref.value).join(', ')}); use moref`,
      { retryable: false },
    );
  }
  return first.ref;
}

/** The `[datastore] path` forms a configured .vmx path can stand for. */
export function datastorePaths(vmx: string, inventory: InventoryObject[]): string[] {
  if (vmx.startsWith('[')) return [vmx];
  const match = /^\/vmfs\/volumes\/([^/]+)\/(.+)$/.exec(vmx);
  if (!match?.[1] || !match[2]) return [];
  const [volume, rest] = [match[1], match[2]];
  const names = new Set([volume]);
  for (const ds of inventory.filter((o) => o.ref.type === 'Datastore')) {
    const url = (ds.props['summary.url'] ?? '').replace(/\/+$/, '');
    if (url.endsWith(`/${volume}`) && ds.props['name']) names.add(ds.props['name']);
  }
  return [...names].map((name) => `[${name}] ${rest}`);
}
