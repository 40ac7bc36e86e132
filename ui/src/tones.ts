import type { DeviceStatus, NodeReadiness } from '../../core/protocol/readiness.ts';

export type Tone = 'good' | 'warn' | 'busy' | 'down' | 'bad' | 'muted';

// Typed by the protocol's unions: a new readiness word fails to compile until it has a tone.
const readinessTones: Record<NodeReadiness | DeviceStatus, Tone> = {
  // a node: could it be fenced now, if it had to be? (DESIGN "Readiness")
  ready: 'good',
  degraded: 'warn',
  unfenceable: 'bad',
  unchecked: 'muted',
  // a device: its last non-destructive check
  ok: 'good',
  failing: 'bad',
};

// A state is always shown as its word; the colour (styles.css, `tone-*`) only repeats it.
const tones = new Map<string, Tone>([
  // node states
  ['member', 'good'],
  ['suspected', 'warn'],
  ['fencing', 'busy'],
  ['fenced', 'down'],
  ['failed', 'bad'],
  // incident states
  ['pending', 'warn'],
  ['refused', 'muted'],
  // attempt outcomes: `off` is a fence's only success, `on` a reboot's power-on
  ['off', 'good'],
  ['on', 'good'],
  ['timeout', 'bad'],
  ['error', 'bad'],
  ['unknown', 'bad'],
  ['aborted', 'muted'],
  ...Object.entries(readinessTones),
]);

/** The tone a word is shown in; a word this page does not know is shown muted. */
export const toneOf = (word: string): Tone => tones.get(word) ?? 'muted';
