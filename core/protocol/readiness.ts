import type { PowerState } from './power.ts';

/** A device's readiness: its last non-destructive check passed, failed, or never ran. */
export type DeviceStatus = 'ok' | 'failing' | 'unchecked';

/**
 * A node's readiness (DESIGN "Readiness"): `ready` every device of level 1 is ok; `degraded`
 * level 1 is not, a later level is fully ok; `unfenceable` no level is fully ok; `unchecked`
 * not known yet.
 */
export type NodeReadiness = 'ready' | 'degraded' | 'unfenceable' | 'unchecked';

/** `GET /v1/clusters/{cluster}/readiness`, as DESIGN.md shapes it (times ISO 8601). */
export interface ReadinessView {
  cluster: string;
  nodes: {
    name: string;
    readiness: NodeReadiness;
    levels: {
      level: number;
      devices: {
        driver: string;
        description: string;
        status: DeviceStatus;
        powerState: PowerState;
        detail: string;
        checkedAt?: string;
        since?: string;
      }[];
    }[];
  }[];
}

/** One device's live power read by `GET .../nodes/{node}/power` (never stored). */
export interface DevicePowerReading {
  level: number;
  driver: string;
  description: string;
  powerState: PowerState;
  detail: string;
}

/**
 * `GET /v1/clusters/{cluster}/nodes/{node}/power` (an addition to DESIGN's table; README "Using
 * with Pacemaker"): the node's power read now through its levels, the first level that answers.
 * `unknown` means no level answered; it is never taken for off.
 */
export interface NodePowerReading {
  cluster: string;
  node: string;
  powerState: PowerState;
  /** The level whose devices gave the answer (absent when unknown). */
  level?: number;
  /** One line: what was read, or why nothing answered. */
  detail: string;
  devices: DevicePowerReading[];
  checkedAt: string;
}
