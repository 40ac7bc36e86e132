import { describe, expect, it } from 'vitest';
import { maxStateChunks, stateChunkChars } from '../../../core/ledger/clusterStore.ts';
import { worstClusterState } from '../../support/worstClusterState.ts';

describe('the cluster entity is bounded whatever the reports say', () => {
  it('the largest state the rules can produce fits in the entity with room to spare', () => {
    const chars = JSON.stringify(worstClusterState()).length;
    // Half of the properties the entity may use: room for fields added later.
    expect(chars).toBeLessThan((maxStateChunks * stateChunkChars) / 2);
    // Table Storage: 1 MiB per entity, strings in UTF-16.
    expect(maxStateChunks * stateChunkChars * 2).toBeLessThan(1024 * 1024);
    console.info(`worst-case cluster state: ${chars} characters`);
  });
});
