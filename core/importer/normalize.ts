/**
 * Undoes what web pages and word processors do to commands copied from LifeKeeper's
 * documentation: `––server`, `—resource-group`, `‘hard’`, non-breaking and full-width spaces.
 * A real stonith.conf is run by a shell, which would choke on all of these, so translating them
 * never changes a command that used to work.
 */

/** Hyphen, non-breaking hyphen, figure/en/em dash, horizontal bar, minus, small/full-width hyphen-minus. */
const TYPOGRAPHIC_DASH = '\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uFE58\uFE63\uFF0D';
const SPACES = /[\t\v\f\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]/g;
const INVISIBLE = /[\u200B-\u200D\u2060\uFEFF\u00AD]/g;
const SINGLE_QUOTES = /[\u2018\u2019\u201A\u201B\u2032\uFF07]/g;
const DOUBLE_QUOTES = /[\u201C\u201D\u201E\u201F\u2033\u00AB\u00BB\uFF02]/g;
/** Full-width ASCII (Ｈ, ＝, ／) typed with a Japanese input method. */
const FULL_WIDTH = /[\uFF01-\uFF5E]/g;

/**
 * A run of dashes at the start of a word that contains at least one typographic dash, followed by
 * an option name. Plain `-`/`--` runs are left alone: they are already what the user meant.
 */
const OPTION_DASHES = new RegExp(
  `(^|[\\s'"=])([-${TYPOGRAPHIC_DASH}]*[${TYPOGRAPHIC_DASH}][-${TYPOGRAPHIC_DASH}]*)([A-Za-z][A-Za-z0-9-]*)`,
  'g',
);

export function normalizeLine(line: string): string {
  return (
    line
      .replace(INVISIBLE, '')
      .replace(SPACES, ' ')
      .replace(SINGLE_QUOTES, "'")
      .replace(DOUBLE_QUOTES, '"')
      // Full-width dashes are handled with the other dashes below, not as ASCII.
      .replace(FULL_WIDTH, (c) =>
        c === '\uFF0D' ? c : String.fromCharCode(c.charCodeAt(0) - 0xfee0),
      )
      // Word processors turn `--name` into one em dash and `-n` into an en dash; the option's
      // length tells which was meant (`—n` → `-n`, `—name` / `––name` → `--name`).
      .replace(OPTION_DASHES, (_all, before: string, _dashes: string, option: string) => {
        return `${before}${option.length === 1 ? '-' : '--'}${option}`;
      })
  );
}
