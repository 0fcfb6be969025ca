import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One POST a receiver got, as it came (raw body, headers) with the status it answered. */
export interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  answered: number | null;
  at: number;
}

/** How a receiver answers a path: a status, or `hang` (never answers; the sender must time out). */
export type ReceiverBehaviour = (request: { path: string; nth: number }) => number | 'hang';

export interface WebhookReceiver {
  /** base URL, e.g. http://127.0.0.1:port */
  url: string;
  /** every request so far, in order */
  received: ReceivedWebhook[];
  /** the requests to one path */
  at(path: string): ReceivedWebhook[];
  /** how a path answers from now on (default 200) */
  on(path: string, behaviour: ReceiverBehaviour): void;
  close(): Promise<void>;
}

/** A real HTTP receiver of webhook deliveries on loopback, for tests. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const behaviours = new Map<string, ReceiverBehaviour>();
  const hanging = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const nth = received.filter((r) => r.path === path).length + 1;
      const behaviour = behaviours.get(path);
      const answer = behaviour ? behaviour({ path, nth }) : 200;
      received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), answered: answer === 'hang' ? null : answer, at: Date.now() });
      if (answer === 'hang') {
        hanging.add(res);
        return;
      }
      res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer < 300 ? 'ok' : 'not now');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    at: (path) => received.filter((r) => r.path === path),
    on: (path, behaviour) => behaviours.set(path, behaviour),
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
