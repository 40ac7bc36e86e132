import { XMLParser } from 'fast-xml-parser';

/** What one node's Pacemaker says (crm_mon --output-as=xml), reduced to what the tests assert. */
export interface ClusterStatus {
  dc?: string;
  withQuorum: boolean;
  nodes: { name: string; online: boolean; unclean: boolean }[];
  resources: { id: string; role: string; active: boolean; failed: boolean; nodes: string[] }[];
  /** Fail counts by resource and node (`fencer@pcmk-a` → 1000000 for INFINITY). */
  failCounts: Map<string, number>;
  /** The last result of each operation Pacemaker keeps per resource and node. */
  operations: { resource: string; node: string; task: string; rc: number; interval: string }[];
}

/** One entry of `stonith_admin --history '*' --output-as=xml`. */
export interface FenceEvent {
  action: string;
  target: string;
  status: string;
  delegate?: string;
  origin?: string;
  /** `completed` in ms (Pacemaker prints whole seconds). */
  completedMs?: number;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  isArray: (name) =>
    [
      'node',
      'resource',
      'fence_event',
      'resource_history',
      'operation_history',
      'group',
      'clone',
    ].includes(name),
});

type Xml = Record<string, unknown>;
const list = (value: unknown): Xml[] => (Array.isArray(value) ? (value as Xml[]) : []);
const text = (value: unknown): string => (typeof value === 'string' ? value : '');

export function parseCrmMon(xml: string): ClusterStatus {
  const root = (parser.parse(xml) as Xml)['pacemaker-result'] as Xml | undefined;
  if (!root) throw new Error(`not crm_mon XML: ${xml.slice(0, 200)}`);
  const summary = (root['summary'] ?? {}) as Xml;
  const dc = (summary['current_dc'] ?? {}) as Xml;
  const nodes = list((root['nodes'] as Xml | undefined)?.['node']).map((n) => ({
    name: text(n['name']),
    online: n['online'] === 'true',
    unclean: n['unclean'] === 'true',
  }));
  const resources = list((root['resources'] as Xml | undefined)?.['resource']).map((r) => ({
    id: text(r['id']),
    role: text(r['role']),
    active: r['active'] === 'true',
    failed: r['failed'] === 'true',
    nodes: list(r['node']).map((n) => text(n['name'])),
  }));
  const failCounts = new Map<string, number>();
  const operations: ClusterStatus['operations'] = [];
  for (const node of list((root['node_history'] as Xml | undefined)?.['node']))
    for (const history of list(node['resource_history'])) {
      const count = text(history['fail-count']);
      if (count !== '')
        failCounts.set(`${text(history['id'])}@${text(node['name'])}`, Number(count));
      for (const op of list(history['operation_history']))
        operations.push({
          resource: text(history['id']),
          node: text(node['name']),
          task: text(op['task']),
          rc: Number(op['rc']),
          interval: text(op['interval']),
        });
    }
  return {
    ...(dc['present'] === 'true' ? { dc: text(dc['name']) } : {}),
    withQuorum: dc['with_quorum'] === 'true',
    nodes,
    resources,
    failCounts,
    operations,
  };
}

export function parseFenceHistory(xml: string): FenceEvent[] {
  const root = (parser.parse(xml) as Xml)['pacemaker-result'] as Xml | undefined;
  if (!root) throw new Error(`not stonith_admin XML: ${xml.slice(0, 200)}`);
  return list((root['list'] as Xml | undefined)?.['fence_event']).map((e) => {
    const completed = text(e['completed']);
    return {
      action: text(e['action']),
      target: text(e['target']),
      status: text(e['status']),
      ...(e['delegate'] ? { delegate: text(e['delegate']) } : {}),
      ...(e['origin'] ? { origin: text(e['origin']) } : {}),
      // "2026-11-29 15:13:18Z"
      ...(completed ? { completedMs: Date.parse(completed.replace(' ', 'T')) } : {}),
    };
  });
}

/** Where a resource runs according to this view ([] when stopped). */
export function runsOn(status: ClusterStatus, resource: string): string[] {
  const found = status.resources.find((r) => r.id === resource);
  return found?.active ? found.nodes : [];
}
