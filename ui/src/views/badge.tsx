// A state is always shown as its word; the colour (styles.css, `tone-*`) only repeats it.
const tones = new Map<string, string>([
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
]);

export function Badge({ word }: { word: string }) {
  return <span class={`badge tone-${tones.get(word) ?? 'muted'}`}>{word}</span>;
}
