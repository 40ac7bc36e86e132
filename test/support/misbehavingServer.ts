import { createServer, type Socket } from 'node:net';
import { freePort } from './ports.ts';

/**
 * How a server in front of Fencer can fail a client, as seen on real networks and proxies.
 * Answers are written as raw bytes on the socket, so nothing in Node's HTTP server smooths them.
 */
export const misbehaviours = [
  'refused', // nothing listens on the port
  'drop-on-accept', // accepts the TCP connection and closes it at once
  'drop-after-request', // reads the request, then closes without a byte of answer
  'reset', // reads the request, then answers with a TCP RST
  'hang', // reads the request and never answers
  'hang-mid-body', // sends the headers and part of the body, then nothing
  'http-503', // a 5xx problem answer
  'bad-json-200', // 200 with a body that is not JSON
  'bad-json-202', // 202 with truncated JSON
  'proxy-502', // a reverse proxy whose back end is down: 502 with an HTML page
] as const;
export type Misbehaviour = (typeof misbehaviours)[number];

/** The page nginx answers with when its upstream is down. */
export const nginx502 =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n';

function answer(status: string, type: string, body: string, length = Buffer.byteLength(body)) {
  return `HTTP/1.1 ${status}\r\ncontent-type: ${type}\r\ncontent-length: ${length}\r\nconnection: close\r\n\r\n${body}`;
}

const answers: Partial<Record<Misbehaviour, string>> = {
  'http-503': answer(
    '503 Service Unavailable',
    'application/problem+json',
    '{"type":"about:blank","title":"Service Unavailable","status":503,"code":"unavailable","detail":"storage is down"}',
  ),
  'bad-json-200': answer('200 OK', 'application/json', '{"nodes": [{"name": "a", "sta'),
  'bad-json-202': answer('202 Accepted', 'application/json', '{"incidentId":"i-1","state":"fen'),
  'proxy-502': answer('502 Bad Gateway', 'text/html', nginx502),
  'hang-mid-body': answer('200 OK', 'application/json', '{"incidentId":"i-1",', 4096),
};

export interface MisbehavingServer {
  url: string;
  /** TCP connections accepted so far (each is one attempt of the client). */
  connections(): number;
  close(): Promise<void>;
}

/** Starts a server on a free loopback port that fails every request in the given way. */
export async function startMisbehaving(mode: Misbehaviour): Promise<MisbehavingServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/api`;
  if (mode === 'refused') return { url, connections: () => 0, close: async () => {} };
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    if (mode === 'drop-on-accept') {
      socket.destroy();
      return;
    }
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      if (mode === 'drop-after-request') socket.destroy();
      else if (mode === 'reset') socket.resetAndDestroy();
      else if (mode === 'hang') socket.resume();
      else if (mode === 'hang-mid-body') socket.write(answers[mode] ?? '');
      else socket.end(answers[mode] ?? '');
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url,
    connections: () => accepted,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
