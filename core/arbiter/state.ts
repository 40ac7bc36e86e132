import type { ClusterConfig } from '../config/schema.ts';
import type { IncidentState, NodeState, Refusal } from '../protocol/api.ts';

/**
 * What the arbiter knows of one incident. Open incidents (pending, fencing) and recently
 * closed ones live in the cluster entity, which is the truth for state, reporters and refusal;
 * the incident entity adds attempts and keeps the history after the record leaves this list.
 */
export interface IncidentRecord {
  id: string;
  target: string;
  state: IncidentState;
  /** Distinct reporters, in the order they reported. */
  reporters: string[];
  reason?: string;
  createdAt: number;
  updatedAt: number;
  /** When the incident became `fencing`: the fence deadline counts from here. */
  fencingAt?: number;
  /** A pending incident may not start fencing before this (counter-accusations may arrive). */
  settleUntil?: number;
  closedAt?: number;
  /** The worker running the fence; another worker takes over only after `until`. */
  lease?: { owner: string; until: number };
  refusal?: Refusal;
  /** Bumped on every change; guards the incident entity against late, stale projections. */
  rev: number;
}

export interface NodeRecord {
  state: NodeState;
  incidentId?: string;
}

/** The cluster entity's content. Nodes absent from `nodes` are `member`. */
export interface ClusterState {
  nodes: Record<string, NodeRecord>;
  incidents: IncidentRecord[];
}

/** Everything a rule needs besides the state. Rules are pure: time and ids come in here. */
export interface RuleContext {
  cluster: ClusterConfig;
  now: number;
  newId: () => string;
}

export const emptyClusterState = (): ClusterState => ({ nodes: {}, incidents: [] });

export const nodeState = (state: ClusterState, node: string): NodeState =>
  state.nodes[node]?.state ?? 'member';

export const isOpen = (record: IncidentRecord): boolean =>
  record.state === 'pending' || record.state === 'fencing';

export const openIncidents = (state: ClusterState): IncidentRecord[] =>
  state.incidents.filter(isOpen);

export const findIncident = (state: ClusterState, id: string): IncidentRecord | undefined =>
  state.incidents.find((r) => r.id === id);

/** A node whose own fence is under way or done: its word no longer counts (split-brain loser). */
export const isDisqualified = (state: ClusterState, node: string): boolean =>
  ['fencing', 'fenced', 'failed'].includes(nodeState(state, node));

/** Closed records stay this long (and at most this many) so a crash cannot lose their projection. */
export const recentLimit = { count: 32, ms: 60 * 60 * 1000 };

/** Drops old closed records; open ones always stay. Returns a new state. */
export function pruneClosed(state: ClusterState, now: number): ClusterState {
  const closed = state.incidents
    .filter((r) => !isOpen(r) && now - (r.closedAt ?? r.updatedAt) < recentLimit.ms)
    .sort((a, b) => (b.closedAt ?? b.updatedAt) - (a.closedAt ?? a.updatedAt))
    .slice(0, recentLimit.count);
  return { ...state, incidents: [...openIncidents(state), ...closed] };
}
