import type { ClusterState, RuleContext } from '../../../core/arbiter/state.ts';
import { clusterConfig } from '../../../core/config/schema.ts';

/** A cluster config with defaults; nodes are `name → priority`. */
export function cluster(nodes: Record<string, number>, options: Record<string, unknown> = {}) {
  return clusterConfig.parse({
    ...options,
    nodes: Object.fromEntries(
      Object.entries(nodes).map(([name, priority]) => [
        name,
        {
          priority,
          key: { secretRef: `env:K_${name}` },
          levels: [[{ dummy: { statusFile: `${name}.json` } }]],
        },
      ]),
    ),
  });
}

/** A rule context whose clock the test moves; ids are sequential and readable. */
export function context(config: ReturnType<typeof cluster>, now = 1_000_000) {
  let n = 0;
  const ctx: RuleContext & { at(ms: number): typeof ctx } = {
    cluster: config,
    now,
    newId: () => `inc-${++n}`,
    at(ms: number) {
      this.now = ms;
      return this;
    },
  };
  return ctx;
}

export const empty = (): ClusterState => ({ nodes: {}, incidents: [] });
