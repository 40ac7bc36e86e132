import type { PowerState } from '../protocol/power.ts';
import type { DeviceStatus, NodeReadiness } from '../protocol/readiness.ts';

/** What the ledger keeps per device (one per device of each node's levels). */
export interface DeviceRecord {
  node: string;
  /** 1-based. */
  level: number;
  /** 0-based position in its level. */
  index: number;
  /** Identifies the device's configuration: a changed device starts over as unchecked. */
  fingerprint: string;
  driver: string;
  description: string;
  status: Exclude<DeviceStatus, 'unchecked'>;
  powerState: PowerState;
  detail: string;
  /** Epoch ms when the check started (a reading older than a fence says nothing about it). */
  checkedAt: number;
  /** Epoch ms when it entered `status`. */
  since: number;
}

/** What the ledger keeps per node: its last readiness, to notice a change. */
export interface NodeReadinessRecord {
  node: string;
  readiness: NodeReadiness;
  since: number;
}

/** Readiness state of one cluster in the ledger (both ledger implementations). */
export interface ReadinessStore {
  devices(cluster: string): Promise<DeviceRecord[]>;
  putDevice(cluster: string, record: DeviceRecord): Promise<void>;
  nodes(cluster: string): Promise<NodeReadinessRecord[]>;
  putNode(cluster: string, record: NodeReadinessRecord): Promise<void>;
}
