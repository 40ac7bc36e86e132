// Runs Azurite in this process and stops it gracefully (flushing its database) when the
// parent goes away: the parent holds our stdin, so its death, even by SIGKILL, ends stdin.
// Azurite saves its LokiJS files only every few seconds; a graceful stop keeps every write.
'use strict';
const path = require('node:path');

const azuriteMain = path.join(
  path.dirname(require.resolve('azurite/package.json')),
  'dist/src/azurite.js',
);
process.argv = [process.argv[0], azuriteMain, ...process.argv.slice(2)];

// Once the parent is gone, its end of our stdout/stderr pipes is closed too: writing there
// (Azurite logs "closing...") would raise EPIPE and kill us before the database is saved.
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});

const stop = () => {
  // Azurite registered its own SIGTERM handler (close servers → save DBs); give it time, then go.
  process.emit('SIGTERM');
  setTimeout(() => process.exit(0), 5000).unref();
};
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();

require(azuriteMain);
