import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Queryable } from '../lambdas/warehouse/db';
import { Busy, createAdmission } from './admission';
import { AUTHENTICATE, presentedToken, sameToken, tokenProblem } from './auth';
import { clientBundle } from './bundle';
import { loadFeatureUsage, loadOverview } from './data';
import { allowedHosts, LOOPBACK, WILDCARD } from './hosts';
import { renderPage } from './page';
import { READER_POOL_SIZE } from './reader';
import { isMonth, MAX_RANGE_MONTHS, type MonthRange, monthSpan } from './types';

/** Requests that may wait for a free reader connection; more than that are told to come back. */
export const MAX_QUEUED_READS = 16;

export interface DashboardServerProps {
  /** Read through the analytics_reader role (see createReaderPool). */
  readonly db: Queryable;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** 0 picks a free port. @default 8080 */
  readonly port?: number;
  /**
   * Every request must present it, as the password of HTTP Basic credentials or as a Bearer token.
   * Required off loopback; at least MIN_TOKEN_LENGTH printable ASCII characters.
   * @default none: on loopback, no authentication
   */
  readonly token?: string;
  /** More Host header values to answer: a DNS name of the machine, or a proxy's name. @default [] */
  readonly allowHosts?: readonly string[];
  /** Requests that read the database at once; as many as the reader pool has connections. @default 4 */
  readonly maxConcurrentReads?: number;
  /** @default MAX_QUEUED_READS */
  readonly maxQueuedReads?: number;
  /** Where a failed request's cause goes; the browser only gets a generic message. @default stderr */
  readonly logError?: (message: string) => void;
}

export interface DashboardServer {
  /** Where to open it: on a wildcard bind, through loopback. */
  readonly url: string;
  /** The Host header values it answers, sorted. */
  readonly hosts: readonly string[];
  close(): Promise<void>;
}

class BadRequest extends Error {}

// The page loads one script of its own and talks only to this server; nothing else may run or load.
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

function send(
  response: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: OutgoingHttpHeaders = {},
): void {
  response.writeHead(status, { 'content-type': type, ...SECURITY_HEADERS, ...headers });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}

const json = (response: ServerResponse, status: number, value: unknown, headers?: OutgoingHttpHeaders) =>
  send(response, status, 'application/json; charset=utf-8', JSON.stringify(value), headers);

/** `from` and `to` as whole months, `YYYY-MM`, from <= to, at most MAX_RANGE_MONTHS months. */
export function parseRange(params: URLSearchParams): MonthRange {
  const from = params.get('from') ?? '';
  const to = params.get('to') ?? '';
  if (!isMonth(from) || !isMonth(to)) throw new BadRequest('from and to must be months like 2024-03');
  if (from > to) throw new BadRequest('from must not be after to');
  const span = monthSpan({ from, to });
  if (span > MAX_RANGE_MONTHS)
    throw new BadRequest(
      `a range may span at most ${MAX_RANGE_MONTHS} months; ${from} to ${to} spans ${span}`,
    );
  return { from, to };
}

function parseTarget(target: string | undefined): URL {
  try {
    return new URL(target ?? '/', 'http://dashboard.invalid');
  } catch {
    throw new BadRequest('not a request path');
  }
}

type Route = (url: URL, response: ServerResponse) => Promise<void>;

/** The host of the server's URL. A wildcard address is no place to open; the machine's loopback is. */
function openAt(address: AddressInfo): string {
  const ipv6 = address.family === 'IPv6';
  if (WILDCARD.has(address.address)) return ipv6 ? '[::1]' : '127.0.0.1';
  return ipv6 ? `[${address.address}]` : address.address;
}

/**
 * The Executive Overview over HTTP: the page, its script, and read-only JSON endpoints. Only GET and
 * HEAD; values reach SQL as bind parameters only. A request must name one of the server's own hosts
 * (421), present the token when there is one (401), and find a reader connection free or a place in
 * the queue (503).
 */
export async function startDashboardServer(props: DashboardServerProps): Promise<DashboardServer> {
  const logError = props.logError ?? ((message) => process.stderr.write(`${message}\n`));
  const host = props.host ?? '127.0.0.1';
  const port = props.port ?? 8080;
  const token = props.token;
  if (token !== undefined) {
    const problem = tokenProblem(token);
    if (problem) throw new Error(`the dashboard token ${problem}`);
  } else if (!LOOPBACK.has(host)) {
    throw new Error(`a dashboard on ${host}, off loopback, needs a token`);
  }

  const page = renderPage({ script: { src: 'dashboard.js' } });
  const files: Record<string, Route> = {
    '/': async (_url, response) => send(response, 200, 'text/html; charset=utf-8', page),
    '/dashboard.js': async (_url, response) =>
      send(response, 200, 'text/javascript; charset=utf-8', await clientBundle()),
  };
  // These hold a reader connection while they run, so they pass through the admission below.
  const reads: Record<string, Route> = {
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
  const admission = createAdmission(
    props.maxConcurrentReads ?? READER_POOL_SIZE,
    props.maxQueuedReads ?? MAX_QUEUED_READS,
  );

  // Known once the server listens, before it takes any request.
  let hosts = new Set<string>();
  // The machine's addresses and names are not for whoever sent a wrong one: the 421 lists none.
  const misdirected = LOOPBACK.has(host)
    ? 'this dashboard answers only to 127.0.0.1, localhost or [::1]'
    : 'this dashboard does not answer to that host name: use the address or name it listens on, or add it with --allow-host';

  const authorized = (request: IncomingMessage): boolean => {
    if (token === undefined) return true;
    const presented = presentedToken(request.headers.authorization);
    return presented !== undefined && sameToken(presented, token);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    try {
      // Before anything else, so that a rebinding page gets neither a login prompt nor an answer.
      if (!hosts.has((request.headers.host ?? '').toLowerCase()))
        return json(response, 421, { error: misdirected });
      // What was presented is never logged, nor echoed back.
      if (!authorized(request)) {
        return json(
          response,
          401,
          {
            error:
              'this dashboard needs its token, as the password of HTTP Basic credentials or as a Bearer token',
          },
          { 'www-authenticate': AUTHENTICATE },
        );
      }
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        return json(response, 405, { error: 'only GET and HEAD' }, { allow: 'GET, HEAD' });
      }
      const url = parseTarget(request.url);
      const file = files[url.pathname];
      if (file) return await file(url, response);
      const read = reads[url.pathname];
      if (!read) return json(response, 404, { error: `no such page: ${url.pathname}` });
      await admission.run(async () => {
        // A client that gave up while queued needs no answer: its slot goes to the next in line.
        if (!request.socket.destroyed) await read(url, response);
      });
    } catch (error) {
      if (error instanceof BadRequest) return json(response, 400, { error: error.message });
      if (error instanceof Busy) {
        return json(
          response,
          503,
          { error: 'the dashboard is busy: try again in a second' },
          { 'retry-after': '1' },
        );
      }
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
  hosts = allowedHosts({ host, address: address.address, port: address.port, extra: props.allowHosts ?? [] });
  return {
    url: `http://${openAt(address)}:${address.port}/`,
    hosts: [...hosts].sort(),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
