/**
 * The state words of DESIGN.md, apart from the API's zod schemas (api.ts re-exports them): the
 * node-side commands (fence_fencer, `fencer report`) need these and nothing of zod, whose
 * loading would be most of their start-up.
 */

/** Node states of DESIGN.md. Only `member` nodes count as survivors. */
export const nodeStates = ['member', 'suspected', 'fencing', 'fenced', 'failed'] as const;
export type NodeState = (typeof nodeStates)[number];

/** Incident states: pending → fencing → fenced | failed; or refused (never acted on). */
export const incidentStates = ['pending', 'fencing', 'fenced', 'failed', 'refused'] as const;
export type IncidentState = (typeof incidentStates)[number];
export const terminalStates: readonly IncidentState[] = ['fenced', 'failed', 'refused'];
export const isTerminal = (state: IncidentState): boolean => terminalStates.includes(state);
