import { inject } from 'vitest';
import { TableRelayActionStore } from '../../core/ledger/relayActionTable.ts';
import {
  clientsFromConnectionString,
  ensureStorage,
  storageNames,
} from '../../core/ledger/storage.ts';
import { uniquePrefix } from '../support/testCluster.ts';
import { relayActionStoreContract } from './relayActionContract.ts';

relayActionStoreContract('Table Storage (Azurite)', async () => {
  const storage = clientsFromConnectionString(
    inject('azurite'),
    storageNames(uniquePrefix('relayactions')),
  );
  await ensureStorage(storage);
  return { store: new TableRelayActionStore(storage.ledger) };
});
