// Loads an unpacked Functions package the way the Azure Functions Node.js worker does, and
// prints what it registered as one JSON line on stdout.
//
//   node workerProbe.mjs APP_DIR worker      fake the worker's built-in `@azure/functions-core`
//                                            module (the worker intercepts require() of that
//                                            name, see azure-functions-nodejs-worker
//                                            src/setupCoreModule.ts), record every
//                                            registerFunction call, then call the `health`
//                                            handler once, and the `ui` handler for the page
//                                            and for the script it names
//   node workerProbe.mjs APP_DIR test-mode   no worker: @azure/functions falls back to test
//                                            mode and warns once per function it skips
//
// The entry is found as the worker finds it: package.json `main`, imported as an ES module
// when `type` is `module`.
import { readFileSync } from 'node:fs';
import Module from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [appDir, mode] = process.argv.slice(2);
const pkg = JSON.parse(readFileSync(join(appDir, 'package.json'), 'utf8'));
const registered = [];
const warnings = [];

if (mode === 'worker') {
  const coreApi = {
    version: '3.10.1',
    hostVersion: '4.1040.0',
    setProgrammingModel() {},
    getProgrammingModel() {},
    registerHook: () => ({ dispose() {} }),
    registerFunction(metadata, handler) {
      registered.push({ metadata, handler });
      return { dispose() {} };
    },
    Disposable: class {
      dispose() {}
    },
  };
  Module.prototype.require = new Proxy(Module.prototype.require, {
    apply(target, thisArg, argArray) {
      return argArray[0] === '@azure/functions-core'
        ? coreApi
        : Reflect.apply(target, thisArg, argArray);
    },
  });
} else {
  const warn = console.warn;
  console.warn = (...parts) => {
    warnings.push(parts.join(' '));
    warn(...parts);
  };
}

const started = process.hrtime.bigint();
await import(pathToFileURL(join(appDir, pkg.main)).href);
const loadMs = Number(process.hrtime.bigint() - started) / 1e6;

// The handlers read only these members of HttpRequest and InvocationContext.
const call = async (name, path) => {
  const entry = registered.find((r) => r.metadata.name === name);
  if (!entry) return undefined;
  const request = {
    method: 'GET',
    url: `https://fencer.example${path}`,
    headers: new Headers(),
    arrayBuffer: async () => new ArrayBuffer(0),
  };
  const context = { log() {}, info() {}, warn() {}, error() {}, trace() {}, debug() {} };
  const response = await entry.handler(request, context);
  const body = response.body instanceof Uint8Array ? Buffer.from(response.body) : response.body;
  return { ...response, body: body === undefined ? undefined : String(body) };
};
let health;
let ui;
if (mode === 'worker') {
  health = await call('health', '/api/v1/health');
  const page = await call('ui', '/api/ui/');
  const script = /src="([^"]+\.js)"/.exec(page?.body ?? '')?.[1];
  ui = { page, script: script && (await call('ui', `/api/ui/${script}`)) };
}

process.stdout.write(
  `${JSON.stringify({
    loadMs,
    functions: registered.map((r) => ({
      name: r.metadata.name,
      bindings: Object.values(r.metadata.bindings),
    })),
    warnings,
    health,
    ui,
  })}\n`,
);
// The sweeper's SDK clients keep sockets open; the probe is done.
process.exit(0);
