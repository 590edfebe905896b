import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer, connect, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { TLSSocket } from 'node:tls';
import type { DeployedFunction } from './cloud-assembly';
import type { LambdaContainers } from './lambda-containers';

/*
 * Stand-ins, on loopback, for the parts of AWS that cannot run on this machine. Everything else the
 * bundles meet is real: PostgreSQL 15, an S3 API server (s3rver), Node 24. Secrets Manager's stand-in
 * is the one the handler tests use (test/support/secrets-manager-server.ts).
 */

export interface LambdaApi {
  readonly url: string;
  /** The ARN (or name) of every invocation received, in order. */
  readonly invoked: string[];
  close(): Promise<void>;
}

/**
 * The Lambda service's Invoke API (POST /2015-03-31/functions/{name}/invocations), as the AWS SDK
 * speaks it: Step Functions' Lambda tasks call it by the ARN in the definition, and so does
 * aws-local-stepfunctions when a Task has no local override. Each invocation goes to a container
 * running the function's bundle; a failure comes back as Lambda reports one (200, X-Amz-Function-Error,
 * the error as the payload), which is where Step Functions takes the error's name from.
 */
export async function startLambdaApi(
  functions: readonly DeployedFunction[],
  containers: LambdaContainers,
): Promise<LambdaApi> {
  const invoked: string[] = [];
  const answer = (
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(req.url?.split('?')[0] ?? '');
      const name = match ? decodeURIComponent(match[1] as string) : undefined;
      const fn = functions.find((candidate) => candidate.arn === name || candidate.logicalId === name);
      if (req.method !== 'POST' || !fn)
        return answer(
          res,
          404,
          { Type: 'User', message: `Function not found: ${name ?? req.url}` },
          { 'x-amzn-errortype': 'ResourceNotFoundException' },
        );
      invoked.push(name as string);
      const body = Buffer.concat(chunks).toString('utf8');
      containers.invoke(fn, body === '' ? {} : JSON.parse(body)).then(
        (outcome) =>
          outcome.ok
            ? answer(res, 200, outcome.result, { 'x-amz-executed-version': '$LATEST' })
            : answer(res, 200, outcome.error, {
                'x-amz-executed-version': '$LATEST',
                'x-amz-function-error': 'Unhandled',
              }),
        (error: Error) =>
          answer(res, 500, { message: error.message }, { 'x-amzn-errortype': 'ServiceException' }),
      );
    });
  });
  const sockets = trackSockets(server);
  await listen(server);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    invoked,
    close: () => closeServer(server, sockets),
  };
}

export interface TlsFront {
  readonly port: number;
  /** Connections that asked for TLS, and those that did not (refused, as RDS with TLS required would). */
  readonly counts: { tls: number; refused: number };
  close(): Promise<void>;
}

/**
 * RDS's TLS, in front of the machine's PostgreSQL: the functions connect with TLS and check the
 * server's certificate against NODE_EXTRA_CA_CERTS (the runtime's RDS authorities in AWS), and the
 * PostgreSQL here runs without TLS and is shared, so its configuration is not ours to change. This
 * answers PostgreSQL's SSLRequest, ends the TLS with the test's certificate, and passes the
 * connection on to the real server unchanged. A client that starts without TLS is refused.
 */
export async function startTlsFront(
  target: { host: string; port: number },
  certificate: { key: string; cert: string },
): Promise<TlsFront> {
  const counts = { tls: 0, refused: 0 };
  const server = createServer((socket) => {
    socket.once('data', (first: Buffer) => {
      const isSslRequest =
        first.length === 8 && first.readInt32BE(0) === 8 && first.readInt32BE(4) === 80877103;
      if (!isSslRequest) {
        counts.refused += 1;
        socket.destroy();
        return;
      }
      counts.tls += 1;
      socket.pause();
      socket.write('S');
      const secure = new TLSSocket(socket, { isServer: true, key: certificate.key, cert: certificate.cert });
      const upstream = connect(target.port, target.host);
      const end = () => {
        secure.destroy();
        upstream.destroy();
      };
      secure.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
      secure.pipe(upstream).pipe(secure);
    });
    socket.on('error', () => socket.destroy());
  });
  const sockets = trackSockets(server);
  await listen(server);
  return {
    port: (server.address() as AddressInfo).port,
    counts,
    close: () => closeServer(server, sockets),
  };
}

/** A self-signed certificate for 127.0.0.1, made with openssl, in `dir`; its file is the CA to trust. */
export function makeCertificate(dir: string): { key: string; cert: string; certFile: string } {
  const keyFile = path.join(dir, 'server.key');
  const certFile = path.join(dir, 'server.crt');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), certFile };
}

function trackSockets(server: Server | ReturnType<typeof createHttpServer>): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return sockets;
}

function listen(server: Server | ReturnType<typeof createHttpServer>): Promise<void> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
}

function closeServer(
  server: Server | ReturnType<typeof createHttpServer>,
  sockets: Set<Socket>,
): Promise<void> {
  return new Promise((resolve) => {
    for (const socket of sockets) socket.destroy();
    server.close(() => resolve());
  });
}
