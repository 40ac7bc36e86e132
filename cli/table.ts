/** Plain text tables for people; colour only when the stream is a terminal. */
export interface Style {
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  dim(text: string): string;
}

const wrap = (code: number) => (text: string) => `\u001b[${code}m${text}\u001b[0m`;
export const colours: Style = { green: wrap(32), red: wrap(31), yellow: wrap(33), dim: wrap(2) };
export const plain: Style = { green: (t) => t, red: (t) => t, yellow: (t) => t, dim: (t) => t };

export function styleFor(stream: { isTTY?: boolean }, env = process.env): Style {
  return stream.isTTY && !env.NO_COLOR ? colours : plain;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: strips our own colour codes to measure width
const visible = (text: string) => text.replace(/\u001b\[\d+m/g, '').length;

/** Left-aligned columns separated by two spaces; cells may carry colour codes. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) =>
    Math.max(visible(h), ...rows.map((r) => visible(r[i] ?? ''))),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) =>
        i === cells.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - visible(cell)),
      )
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

export function stateColour(style: Style, state: string): string {
  if (state === 'member' || state === 'fenced' || state === 'ok') return style.green(state);
  if (state === 'failed' || state === 'refused') return style.red(state);
  return style.yellow(state);
}
