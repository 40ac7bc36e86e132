import { z } from 'zod';
import { fencerConfig } from './schema.ts';

/** JSON Schema (draft 2020-12) of fencer.yaml, for editors and `fencer config schema`. */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(fencerConfig, { io: 'input', unrepresentable: 'any' }),
    $id: 'urn:fencer:config:v1',
    title: 'fencer.yaml',
  };
}
