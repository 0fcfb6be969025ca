import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import SCIMMYRouters from 'scimmy-routers';
import { DemoStore, type Json } from './demo-store';
import { QuirkLayer } from './quirk-layer';
import { declareScimResources } from './scim-resources';
import { seedStore } from './seed-data';
import type { ScimDemoAdmin, ScimDemoAuth, ScimDemoServer, ScimDemoServerOptions } from './demo-types';

/** Requests the server remembers for requestLog(). */
const REQUEST_LOG_LENGTH = 10_000;

/** Starts an in-memory SCIM 2.0 server (scimmy + scimmy-routers) with optional sample data, auth and quirks. */
export async function startScimDemoServer(opts: ScimDemoServerOptions = {}): Promise<ScimDemoServer> {
  declareScimResources();
  const host = opts.host ?? '127.0.0.1';
  const basePath = normaliseBasePath(opts.basePath ?? '/scim/v2');
  const store = new DemoStore();
  if (opts.seed) seedStore(store, opts.seed);

  let auth = opts.auth;
  let requests = 0;
  const log: string[] = [];
  const quirks = new QuirkLayer(() => auth);
  quirks.set(opts.quirks);

  const app = express();
  app.disable('x-powered-by');
  app.use((req, _res, next) => {
    requests += 1;
    log.push(`${req.method} ${req.originalUrl}`);
    if (log.length > REQUEST_LOG_LENGTH) log.splice(0, log.length - REQUEST_LOG_LENGTH);
    next();
  });
  app.use(basePath, quirks.router());
  app.use(
    basePath,
    new SCIMMYRouters({
      type: 'basic',
      handler: (req) => authenticate(req, auth),
      context: () => store,
    }) as unknown as express.Router,
  );
  app.use((req, res) => {
    res.status(404).type('text/plain').send(`Not found: ${req.method} ${req.path} (SCIM base path is ${basePath})`);
  });
  // scimmy-routers forwards 5xx errors after answering; Express' default handler would then destroy the socket.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (!res.headersSent) res.status(500).type('text/plain').send(err instanceof Error ? err.message : 'Internal error');
  });

  const server = createServer(app);
  await listen(server, opts.port ?? 0, host);
  const { port } = server.address() as AddressInfo;
  const hostPart = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${hostPart}:${port}${basePath}`,
    close: () => closeServer(server),
    requestCount: () => requests,
    requestLog: () => [...log],
    setQuirks: (q) => quirks.set(q),
    setAuth: (a) => {
      auth = a;
    },
    admin: createAdmin(store),
  };
}

function createAdmin(store: DemoStore): ScimDemoAdmin {
  // Store calls are synchronous; a throw inside the executor becomes a rejection, as callers of an async API expect.
  const settle = <T>(fn: () => T): Promise<T> => new Promise<T>((resolve) => resolve(fn()));
  return {
    addUser: (u) =>
      settle(() => {
        const userName = u.userName ?? `user${store.size('User') + 1}.${Date.now()}`;
        return { id: store.create('User', { ...u, userName }).data.id as string };
      }),
    updateUser: (id, patch) => settle(() => void store.merge('User', id, patch)),
    deleteUser: (id) => settle(() => store.remove('User', id)),
    addGroup: (g) =>
      settle(() => {
        const record = store.create('Group', { displayName: g.displayName, members: (g.memberIds ?? []).map((value) => ({ value })) });
        return { id: record.data.id as string };
      }),
    updateGroup: (id, patch) =>
      settle(() => {
        const changes: Json = {};
        if (patch.displayName !== undefined) changes.displayName = patch.displayName;
        if (patch.memberIds !== undefined) changes.members = patch.memberIds.map((value) => ({ value }));
        store.merge('Group', id, changes);
      }),
    deleteGroup: (id) => settle(() => store.remove('Group', id)),
    listUserIds: () => store.ids('User'),
    listGroupIds: () => store.ids('Group'),
    getUser(id) {
      const record = store.get('User', id);
      return record ? store.render(record) : undefined;
    },
  };
}

/** Throwing makes scimmy-routers answer 401 with a SCIM error body carrying the message. */
function authenticate(req: Request, auth: ScimDemoAuth | undefined): string {
  if (!auth?.basic && !auth?.bearer) return 'anonymous';
  const header = req.get('authorization') ?? '';
  if (!header) throw new Error('Authentication required');
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const credentials = space < 0 ? '' : header.slice(space + 1).trim();
  if (scheme === 'basic' && auth.basic) {
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const username = colon < 0 ? decoded : decoded.slice(0, colon);
    const password = colon < 0 ? '' : decoded.slice(colon + 1);
    if (safeEqual(username, auth.basic.username) && safeEqual(password, auth.basic.password)) return username;
  } else if (scheme === 'bearer' && auth.bearer) {
    if (safeEqual(credentials, auth.bearer)) return 'bearer-client';
  }
  throw new Error('Invalid credentials');
}

function safeEqual(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

function normaliseBasePath(path: string): string {
  const trimmed = `/${path}`.replace(/\/+/g, '/').replace(/\/$/, '');
  return trimmed || '/';
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    // Keep-alive sockets of finished tests would otherwise hold close() open for seconds.
    server.closeAllConnections();
  });
}
