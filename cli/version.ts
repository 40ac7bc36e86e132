import { readFileSync } from 'node:fs';

/** Set by scripts/build.mjs in bundles; absent when the sources run under tsx. */
declare const __FENCER_VERSION__: string | undefined;

/** The package version: baked into bundles at build time, else read from package.json. */
export const version: string = (() => {
  if (typeof __FENCER_VERSION__ === 'string') return __FENCER_VERSION__;
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
})();
