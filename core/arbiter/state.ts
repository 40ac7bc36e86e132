import type { ClusterConfig } from '../config/schema.ts';
import type { IncidentState, NodeState, Refusal } from '../protocol/api.ts';

/**
 * What the arbiter knows of one incident. Open incidents (pending, fencing) and recently
 * closed ones live in the cluster entity, which is the truth for state, reporters and refusal;
 * the incident entity adds attempts, the reason and refused reports (free text and lists that
 * would make the cluster entity unbounded) and keeps the history after the record leaves this list.
 */
export interface IncidentRecord {
  id: string;
  target: string;
  state: IncidentState;
  /** Distinct reporters, in the order they reported. */
  reporters: string[];
  /** Set for a reboot (power on again after the verified off); absent means off. */
  action?: 'reboot';
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
  /**
   * A re-proof of a node fenced long ago (rule 3): its record before this incident, restored
   * if the incident is refused, so a refusal never turns a fenced node into a member.
   */
  reproves?: NodeRecord;
}

export interface NodeRecord {
  state: NodeState;
  incidentId?: string;
  /** When the node entered this state; for `fenced`, when it was verified off. */
  at?: number;
  /**
   * A power-on (an admin's unfence, or a reboot's second half) runs until then: no fence may
   * overlap it, so reports about the node are refused meanwhile.
   */
  poweringOn?: { until: number };
}

/**
 * `fenced` is a fact about the past (invariant 9): a report within this long of the verified
 * off is answered with that incident; later ones re-prove it with a new incident.
 */
export const fencedFreshMs = 10_000;

/** A power-on gets this long (per level tried, see core/engine/powerOn.ts)... */
export const powerOnTimeoutMs = 60_000;
/** ...and holds the node out of reach of new fences at most this long (a crash mid-way). */
export const powerOnHoldMs = powerOnTimeoutMs + 5_000;

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

/** A node's record in the cluster entity (own properties only: names may come from the wire). */
export const nodeRecord = (state: ClusterState, node: string): NodeRecord | undefined =>
  Object.hasOwn(state.nodes, node) ? state.nodes[node] : undefined;

export const nodeState = (state: ClusterState, node: string): NodeState =>
  nodeRecord(state, node)?.state ?? 'member';

export const isOpen = (record: IncidentRecord): boolean =>
  record.state === 'pending' || record.state === 'fencing';

export const openIncidents = (state: ClusterState): IncidentRecord[] =>
  state.incidents.filter(isOpen);

export const findIncident = (state: ClusterState, id: string): IncidentRecord | undefined =>
  state.incidents.find((r) => r.id === id);

/**
 * A node whose own fence is under way or done: its word no longer counts (split-brain loser).
 * A fenced node being re-proven (suspected again, below quorum) is still disqualified: nothing
 * has unfenced it.
 */
export function isDisqualified(state: ClusterState, node: string): boolean {
  const held = nodeRecord(state, node);
  if (!held) return false;
  if (held.state === 'fencing' || held.state === 'fenced' || held.state === 'failed') return true;
  const record = held.incidentId ? findIncident(state, held.incidentId) : undefined;
  return held.state === 'suspected' && record?.reproves !== undefined;
}

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
