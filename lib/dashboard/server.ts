import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Queryable } from '../../lambdas/warehouse/db';
import { clientBundle } from './bundle';
import { loadFeatureUsage, loadOverview } from './data';
import { renderPage } from './page';
import { isMonth, type MonthRange } from './types';

export interface DashboardServerProps {
  /** Read through the analytics_reader role (see createReaderPool). */
  readonly db: Queryable;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** 0 picks a free port. @default 8080 */
  readonly port?: number;
  /** Where a failed request's cause goes; the browser only gets a generic message. @default stderr */
  readonly logError?: (message: string) => void;
}

export interface DashboardServer {
  readonly url: string;
  close(): Promise<void>;
}

class BadRequest extends Error {}

export const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

// The page loads one script of its own and talks only to this server; nothing else may run or load.
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { 'content-type': type, ...SECURITY_HEADERS });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}

const json = (response: ServerResponse, status: number, value: unknown) =>
  send(response, status, 'application/json; charset=utf-8', JSON.stringify(value));

/** `from` and `to` as whole months, `YYYY-MM`, from <= to. */
export function parseRange(params: URLSearchParams): MonthRange {
  const from = params.get('from') ?? '';
  const to = params.get('to') ?? '';
  if (!isMonth(from) || !isMonth(to)) throw new BadRequest('from and to must be months like 2024-03');
  if (from > to) throw new BadRequest('from must not be after to');
  return { from, to };
}

function parseTarget(target: string | undefined): URL {
  try {
    return new URL(target ?? '/', 'http://dashboard.invalid');
  } catch {
    throw new BadRequest('not a request path');
  }
}

/**
 * The Executive Overview over HTTP: the page, its script, and two read-only JSON endpoints. Only GET
 * and HEAD; values reach SQL as bind parameters only.
 */
export async function startDashboardServer(props: DashboardServerProps): Promise<DashboardServer> {
  const logError = props.logError ?? ((message) => process.stderr.write(`${message}\n`));
  const page = renderPage({ script: { src: 'dashboard.js' } });
  const routes: Record<string, (url: URL, response: ServerResponse) => Promise<void>> = {
    '/': async (_url, response) => send(response, 200, 'text/html; charset=utf-8', page),
    '/dashboard.js': async (_url, response) =>
      send(response, 200, 'text/javascript; charset=utf-8', await clientBundle()),
    '/api/overview': async (_url, response) => json(response, 200, await loadOverview(props.db)),
    '/api/features': async (url, response) => {
      const [usage] = await loadFeatureUsage(props.db, [parseRange(url.searchParams)]);
      json(response, 200, usage ?? []);
    },
    '/healthz': async (_url, response) => {
      await props.db.query('select 1');
      json(response, 200, { ok: true });
    },
  };

  const host = props.host ?? '127.0.0.1';
  const port = props.port ?? 8080;
  const loopback = LOOPBACK.has(host);
  // Known once the server listens, before it takes any request.
  let allowedHosts = new Set<string>();

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    try {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.setHeader('allow', 'GET, HEAD');
        return json(response, 405, { error: 'only GET and HEAD' });
      }
      // A page on another site can point its own name at 127.0.0.1 (DNS rebinding) and read what we
      // serve; it cannot make the browser send our name in Host, so a loopback server answers only that.
      if (loopback && !allowedHosts.has(request.headers.host ?? '')) {
        return json(response, 421, { error: 'this dashboard answers only to 127.0.0.1, localhost or [::1]' });
      }
      const url = parseTarget(request.url);
      const route = routes[url.pathname];
      if (!route) return json(response, 404, { error: `no such page: ${url.pathname}` });
      await route(url, response);
    } catch (error) {
      if (error instanceof BadRequest) return json(response, 400, { error: error.message });
      logError(`dashboard: ${request.method} ${request.url} failed: ${(error as Error).message}`);
      if (response.headersSent) return void response.destroy();
      json(response, 500, { error: 'the server could not read the analytics; its log says why' });
    }
  };

  const server = createServer((request, response) => void handle(request, response));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`port ${port} on ${host} is taken: choose another with --port`)
          : error,
      ),
    );
    server.listen(port, host, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  allowedHosts = new Set(['127.0.0.1', 'localhost', '[::1]'].map((name) => `${name}:${address.port}`));
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
