// Types only from core: a value import would pull zod into the page.
import type { NodeReadiness, ReadinessView } from '../../../core/protocol/readiness.ts';
import { formatAge, formatTime, formatTimeShort } from '../format.ts';
import type { Polled } from '../usePoll.ts';
import { Badge } from './badge.tsx';
import { Freshness } from './status.tsx';

type NodeView = ReadinessView['nodes'][number];
type Device = NodeView['levels'][number]['devices'][number];

// What each word means for the operator deciding whether to trust the fence path now. A Map:
// the word comes from the wire.
const meanings: [NodeReadiness, string][] = [
  ['ready', 'every device of level 1 passed its check'],
  ['degraded', 'level 1 is failing; a later level passed and would fence it'],
  ['unfenceable', 'no level passed its check: a fence now would likely fail'],
  ['unchecked', 'no level is proven yet: devices wait for their first check'],
];
const meaning = new Map<string, string>(meanings);

/**
 * DESIGN "Readiness" for one cluster: per node, level and device, what the last check (which
 * never powers anything) found, and since when. The poll lives in the cluster view.
 */
export function ReadinessPanel(props: { polled: Polled<ReadinessView> }) {
  const { polled } = props;
  const nowMs = polled.updatedAt ?? Date.now();
  return (
    <section class="card" aria-labelledby="readiness-title">
      <h2 id="readiness-title">Readiness</h2>
      <p class="muted hint">
        Each fence device as its last check found it; a node that is not ready is open. A check
        reads the power state and the right to power off; it never powers anything.
      </p>
      {/* The title row's freshness is the cluster poll's; this one speaks only when stale. */}
      {polled.error && <Freshness polled={polled} />}
      {polled.data?.nodes.length === 0 && <p>No node is configured.</p>}
      {polled.data?.nodes.map((node) => (
        <NodeReadinessSection key={node.name} node={node} nowMs={nowMs} />
      ))}
    </section>
  );
}

/**
 * A node's devices, open when the node is not `ready`: trouble shows at once, a ready node is
 * one line until asked. Preact sets `open` only when it changes, so a node the operator opened
 * or closed stays so until its readiness changes.
 */
function NodeReadinessSection({ node, nowMs }: { node: NodeView; nowMs: number }) {
  const devices = node.levels.flatMap((l) =>
    l.devices.map((device) => ({ level: l.level, device })),
  );
  return (
    <section class="readiness-node" aria-label={`Readiness of ${node.name}`}>
      <details open={node.readiness !== 'ready'}>
        <summary>
          <span class="node-name">{node.name}</span>{' '}
          <Badge word={node.readiness} kind="readiness" />{' '}
          <span class="readiness-meaning">{meaning.get(node.readiness) ?? node.readiness}</span>
        </summary>
        {devices.length === 0 ? (
          <p>No fence device is configured.</p>
        ) : (
          <table class="devices" aria-label={`Fence devices of ${node.name}`}>
            <thead>
              <tr>
                <th scope="col">Level</th>
                <th scope="col">Device</th>
                <th scope="col">Status</th>
                <th scope="col">Power</th>
                <th scope="col">Detail</th>
                <th scope="col">Checked</th>
                <th scope="col">Since</th>
              </tr>
            </thead>
            <tbody>
              {devices.map(({ level, device }, i) => (
                // Devices have no id; their place in the config is who they are.
                <DeviceRow key={`${level}-${i}`} level={level} device={device} nowMs={nowMs} />
              ))}
            </tbody>
          </table>
        )}
      </details>
    </section>
  );
}

function DeviceRow(props: { level: number; device: Device; nowMs: number }) {
  const { device, nowMs } = props;
  // Descriptions start with the driver (`dummy /path`, `azure-vm rg/vm`): shown once.
  const rest = device.description.startsWith(`${device.driver} `)
    ? device.description.slice(device.driver.length + 1)
    : device.description;
  return (
    <tr class={`device-${device.status}`}>
      <td data-label="Level">{props.level}</td>
      <td data-label="Device" class="device">
        <span>
          <strong>{device.driver}</strong> {rest && <span class="muted">{rest}</span>}
        </span>
      </td>
      <td data-label="Status">
        <Badge word={device.status} kind="readiness" />
      </td>
      <td data-label="Power">{device.powerState}</td>
      <td data-label="Detail" class="detail">
        {device.detail}
      </td>
      <td data-label="Checked">
        <When iso={device.checkedAt} nowMs={nowMs} suffix="ago" none="never" />
      </td>
      <td data-label="Since">
        <When iso={device.since} nowMs={nowMs} suffix="" none="—" />
      </td>
    </tr>
  );
}

/** `14:02:03 (5 min ago)`, or `(for 5 min)` without a suffix; the date too unless today. */
function When(props: { iso?: string; nowMs: number; suffix: string; none: string }) {
  if (!props.iso) return <span>{props.none}</span>;
  const age = formatAge(props.nowMs - Date.parse(props.iso));
  // One element per cell: on a phone the cell is a flex row of its label and its content.
  return (
    <span>
      <time dateTime={props.iso} title={formatTime(props.iso)}>
        {formatTimeShort(props.iso, props.nowMs)}
      </time>{' '}
      <span class="muted age">({props.suffix ? `${age} ${props.suffix}` : `for ${age}`})</span>
    </span>
  );
}
