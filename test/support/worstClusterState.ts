import type { ClusterState, IncidentRecord } from '../../core/arbiter/state.ts';
import { recentLimit } from '../../core/arbiter/state.ts';
import { maxNodesPerCluster } from '../../core/config/schema.ts';

/**
 * The largest cluster entity the rules can produce: the most nodes a cluster may have, every
 * name at its 63-character limit, an open incident about every node with every other node as
 * a reporter, the most closed records kept, and every optional field filled with the longest
 * text the rules write. Free text from reports never reaches this entity.
 */
export function worstClusterState(): ClusterState {
  const names = Array.from({ length: maxNodesPerCluster }, (_, i) =>
    `n${String(i).padStart(2, '0')}`.padEnd(63, 'x'),
  );
  const now = 9_999_999_999_999;
  const id = (i: number) => `${(now - i).toString(36).padStart(9, '0')}-${'f'.repeat(8)}`;
  const record = (i: number, target: string, open: boolean): IncidentRecord => ({
    id: id(i),
    target,
    state: open ? 'fencing' : 'refused',
    reporters: names.filter((n) => n !== target),
    createdAt: now,
    updatedAt: now,
    fencingAt: now,
    settleUntil: now,
    closedAt: now,
    lease: { owner: `${'h'.repeat(64)}-4194304/ffffffff/ffffffff`, until: now },
    refusal: {
      code: 'quorum-not-reached',
      detail: `${target} has a higher priority than ${target}; ${'d'.repeat(120)}`,
    },
    rev: Number.MAX_SAFE_INTEGER,
    reproves: { state: 'fenced', incidentId: id(i + 1000), at: now },
  });
  return {
    nodes: Object.fromEntries(
      names.map((n, i) => [n, { state: 'suspected', incidentId: id(i), at: now }]),
    ),
    incidents: [
      ...names.map((n, i) => record(i, n, true)),
      ...Array.from({ length: recentLimit.count }, (_, i) =>
        record(100 + i, names[i % names.length] ?? '', false),
      ),
    ],
  };
}
