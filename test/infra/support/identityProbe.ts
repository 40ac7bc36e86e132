// Runs in a child process that trusts Azurite's throwaway CA (NODE_EXTRA_CA_CERTS), because
// the storage SDKs take no per-client CA. Uses the ledger's identity-based clients against
// Azurite with OAuth on and prints one JSON line: what worked with an Entra-shaped token, the
// scopes the SDKs asked for, and what a token from a foreign issuer got.
//   node --import tsx identityProbe.ts TABLE_URI QUEUE_URI
import type { AccessToken, TokenCredential } from '@azure/identity';
import {
  clientsFromIdentity,
  ensureStorage,
  type StorageEndpoints,
  storageNames,
} from '../../../core/ledger/storage.ts';
import { entraIssuer, fakeEntraToken } from './entraToken.ts';

const [tableServiceUri = '', queueServiceUri = ''] = process.argv.slice(2);
const endpoints: StorageEndpoints = { tableServiceUri, queueServiceUri };

function fakeCredential(issuer: string, scopes: string[]): TokenCredential {
  return {
    async getToken(scope): Promise<AccessToken> {
      scopes.push(...(Array.isArray(scope) ? scope : [scope]));
      const { token, expiresOn } = fakeEntraToken(issuer);
      return { token, expiresOnTimestamp: expiresOn * 1000 };
    },
  };
}

const scopes: string[] = [];
const names = storageNames('identity');
const clients = clientsFromIdentity(endpoints, fakeCredential(entraIssuer, scopes), names);
await ensureStorage(clients);
await clients.ledger.createEntity({ partitionKey: 'c1', rowKey: 'cluster', state: '{}' });
const entity = await clients.ledger.getEntity<{ state: string }>('c1', 'cluster');
await clients.queue.sendMessage('hello');
const { receivedMessageItems } = await clients.queue.receiveMessages();

const foreign = clientsFromIdentity(
  endpoints,
  fakeCredential('https://issuer.example/', []),
  names,
);
const refused = async (call: () => Promise<unknown>) =>
  call().then(
    () => 'accepted',
    (err: { statusCode?: number }) => `refused ${err.statusCode}`,
  );

process.stdout.write(
  `${JSON.stringify({
    entityState: entity.state,
    messages: receivedMessageItems.map((m) => m.messageText),
    scopes: [...new Set(scopes)].sort(),
    foreignTable: await refused(() => foreign.ledger.getEntity('c1', 'cluster')),
    foreignQueue: await refused(() => foreign.queue.peekMessages()),
  })}\n`,
);
