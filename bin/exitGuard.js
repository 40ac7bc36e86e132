// Shared by the bin entry points; plain JavaScript, so it guards the tsx start-up as well.

/**
 * Runs a command's `main` so that it can end only in one of its documented exit codes, with the
 * reason on stderr. `main` resolves to the exit code (or `undefined` when a server now owns the
 * process); the process then exits with it at once, so nothing left behind can hold it past its
 * deadline. A thrown error, an unhandled rejection, or a `main` still pending when nothing is
 * left to wake it (Node would end that with code 13 and not a word) ends in `failCode`, with a
 * line saying so after `prefix`.
 *
 * @param {string} prefix starts the stderr line (`fencer: `, or `Failed: ` for a fence agent)
 * @param {number} failCode the command's "failed" exit code
 * @param {() => Promise<number | undefined>} main
 */
export function runGuarded(prefix, failCode, main) {
  let settled = false;
  const fail = (why, err) => {
    settled = true;
    const first = `${prefix}${why}${err === undefined ? '' : `: ${describe(err)}`}`;
    // The stack is for whoever debugs it, after the one line that says what happened.
    const stack = err instanceof Error && err.stack ? `${err.stack}\n` : '';
    exitFlushed(failCode, `${first.replace(/\s+/g, ' ')}\n${stack}`);
  };
  process.on('uncaughtException', (err) => fail('internal error', err));
  process.on('unhandledRejection', (err) => fail('internal error', err));
  process.on('beforeExit', () => {
    if (!settled)
      fail('internal error: ended with the command still waiting (no timer or connection left)');
  });
  Promise.resolve()
    .then(main)
    .then(
      (code) => {
        settled = true;
        if (code !== undefined) exitFlushed(code, '');
      },
      (err) => fail('internal error', err),
    );
}

function describe(err) {
  return err instanceof Error ? err.message : String(err);
}

/** Exits once stdout and stderr have taken what was written (pipes may be asynchronous). */
function exitFlushed(code, stderrText) {
  process.exitCode = code;
  const exit = () => process.exit(code);
  // If a reader stopped reading, do not wait for it forever.
  setTimeout(exit, 2_000);
  process.stderr.write(stderrText, () => process.stdout.write('', exit));
}
