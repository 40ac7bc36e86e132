import type { ClusterConfig } from '../config/schema.ts';
import type { NodeReadiness, ReadinessView } from '../protocol/readiness.ts';
import { configuredDevices } from './deviceChecks.ts';
import { nodeReadiness } from './evaluate.ts';
import type { DeviceRecord } from './types.ts';

type NodeView = ReadinessView['nodes'][number];

/**
 * One node's readiness from the stored device results, joined with the config: a device whose
 * configuration changed since its last check, or never checked, is `unchecked`.
 */
export function readinessOf(
  config: ClusterConfig,
  node: string,
  records: readonly DeviceRecord[],
): { readiness: NodeReadiness; detail: string; levels: NodeView['levels'] } {
  const devices = configuredDevices(config).filter((d) => d.node === node);
  const levels: NodeView['levels'] = [];
  for (const device of devices) {
    const record = records.find(
      (r) =>
        r.node === node &&
        r.level === device.level &&
        r.index === device.index &&
        r.fingerprint === device.fingerprint,
    );
    let level = levels.find((l) => l.level === device.level);
    if (!level) {
      level = { level: device.level, devices: [] };
      levels.push(level);
    }
    level.devices.push(
      record
        ? {
            driver: record.driver,
            description: record.description,
            status: record.status,
            powerState: record.powerState,
            detail: record.detail,
            checkedAt: new Date(record.checkedAt).toISOString(),
            since: new Date(record.since).toISOString(),
          }
        : {
            driver: Object.keys(device.entry)[0] ?? 'unknown',
            description: '',
            status: 'unchecked',
            powerState: 'unknown',
            detail: 'not checked yet',
          },
    );
  }
  const readiness = nodeReadiness(levels.map((l) => l.devices.map((d) => d.status)));
  const failing = levels
    .flatMap((l) =>
      l.devices.filter((d) => d.status === 'failing').map((d) => `level ${l.level}: ${d.detail}`),
    )
    .join('; ');
  return { readiness, detail: failing || `${node} is ${readiness}`, levels };
}

/** `GET /v1/clusters/{cluster}/readiness`. */
export function readinessView(
  cluster: string,
  config: ClusterConfig,
  records: readonly DeviceRecord[],
): ReadinessView {
  return {
    cluster,
    nodes: Object.keys(config.nodes).map((name) => {
      const { readiness, levels } = readinessOf(config, name, records);
      return { name, readiness, levels };
    }),
  };
}
