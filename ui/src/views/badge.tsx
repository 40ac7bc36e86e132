import { toneOf } from '../tones.ts';

/**
 * `kind` sets the shape: readiness words are square-cornered, states round. A readiness badge
 * says what it is on hover; screen readers get the word "readiness" from the node list.
 */
export function Badge({ word, kind = 'state' }: { word: string; kind?: 'state' | 'readiness' }) {
  return (
    <span
      class={`badge badge-${kind} tone-${toneOf(word)}`}
      title={kind === 'readiness' ? `readiness: ${word}` : undefined}
    >
      {word}
    </span>
  );
}
