/**
 * A small getopt for the five command forms: `-H host`, `-Hhost`, `--server host`,
 * `--server=host`, flags, and multi-value options (`--instance-ids i-1 i-2`). Each parser
 * declares its options; anything else is reported, never silently dropped, because an option we
 * did not understand may change what the command fences.
 */

export interface OptionSpec {
  /** Key the values are stored under. */
  key: string;
  names: readonly string[];
  /** `flag`: no value; `value`: one; `multi`: every following word up to the next option. */
  arity: 'flag' | 'value' | 'multi';
}

export interface ScannedOptions {
  values: Map<string, string[]>;
  flags: Set<string>;
  positionals: string[];
  /** Options that are not in the spec, as written. */
  unknown: string[];
  /** Value options given last on the line, with nothing after them. */
  missingValue: string[];
}

export function scanOptions(args: readonly string[], specs: readonly OptionSpec[]): ScannedOptions {
  const byName = new Map<string, OptionSpec>();
  for (const spec of specs) for (const n of spec.names) byName.set(n, spec);
  const out: ScannedOptions = {
    values: new Map(),
    flags: new Set(),
    positionals: [],
    unknown: [],
    missingValue: [],
  };
  const add = (key: string, value: string) => {
    out.values.set(key, [...(out.values.get(key) ?? []), value]);
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) {
      out.positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    let spec = byName.get(name);
    let inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    if (!spec && !arg.startsWith('--') && arg.length > 2) {
      // `-C3`, `-Hhost`: a short option with its value attached.
      spec = byName.get(arg.slice(0, 2));
      if (spec && spec.arity !== 'flag') inline = arg.slice(2);
      else spec = undefined;
    }
    if (!spec) {
      out.unknown.push(name);
      continue;
    }
    if (spec.arity === 'flag') {
      out.flags.add(spec.key);
      continue;
    }
    if (inline !== undefined) {
      add(spec.key, inline);
      continue;
    }
    if (spec.arity === 'value') {
      const value = args[i + 1];
      if (value === undefined) out.missingValue.push(name);
      else add(spec.key, value);
      i++;
      continue;
    }
    let taken = 0;
    while (i + 1 < args.length && !(args[i + 1] as string).startsWith('-')) {
      add(spec.key, args[i + 1] as string);
      i++;
      taken++;
    }
    if (taken === 0) out.missingValue.push(name);
  }
  return out;
}

/** The last value given for an option (a later option wins, as in the tools themselves). */
export function lastValue(scanned: ScannedOptions, key: string): string | undefined {
  return scanned.values.get(key)?.at(-1);
}

/** Common failure messages for a scan; undefined when the scan is clean. */
export function scanProblem(command: string, scanned: ScannedOptions): string | undefined {
  if (scanned.missingValue.length > 0) {
    return `${command}: ${scanned.missingValue.join(', ')} needs a value`;
  }
  if (scanned.unknown.length > 0) {
    return `${command}: unsupported option(s) ${scanned.unknown.join(', ')}`;
  }
  return undefined;
}

/** A password option's value: a literal, or a shell variable LifeKeeper expanded at run time. */
export function passwordFrom(
  value: string | undefined,
): { from: 'literal'; value: string } | { from: 'environment'; variable: string } | undefined {
  if (value === undefined) return undefined;
  const variable = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.exec(value);
  if (variable) return { from: 'environment', variable: variable[1] as string };
  return { from: 'literal', value };
}

export function integer(text: string, min: number, max: number): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const value = Number(text);
  return value >= min && value <= max ? value : undefined;
}
