import 'vitest';
import type { TestProject } from 'vitest/node';
import { startEmbeddedAzurite } from './azurite.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    azurite: string;
  }
}

/** One in-memory Azurite for the whole project run; suites isolate themselves by storage prefix. */
export default async function setup(project: TestProject) {
  const azurite = await startEmbeddedAzurite();
  project.provide('azurite', azurite.connectionString);
  return () => azurite.stop();
}
