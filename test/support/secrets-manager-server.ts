import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A stand-in for Secrets Manager on loopback: AWS cannot be reached from the machines this project is
 * built on. It answers GetSecretValue (the AWS JSON 1.1 protocol the SDK speaks) from `secrets`, and
 * can be told to fail or to never answer. Point the SDK at it with AWS_ENDPOINT_URL_SECRETS_MANAGER.
 */
export interface SecretsManagerServer {
  readonly url: string;
  /** Secret values by id (ARN or name). */
  readonly secrets: Map<string, { value: string; versionId: string }>;
  /** The SecretId of every GetSecretValue received, in order. */
  readonly requests: string[];
  /** `ok` answers; `fail` answers with `failWith` (and a 400); `hang` accepts and never answers. */
  mode: 'ok' | 'fail' | 'hang';
  failWith: string;
  close(): Promise<void>;
}

export async function startSecretsManagerServer(): Promise<SecretsManagerServer> {
  const sockets = new Set<Socket>();
  const state: SecretsManagerServer = {
    url: '',
    secrets: new Map(),
    requests: [],
    mode: 'ok',
    failWith: 'ResourceNotFoundException',
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  const answer = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(JSON.stringify(body));
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const target = req.headers['x-amz-target'];
      const { SecretId } = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as {
        SecretId?: string;
      };
      if (target !== 'secretsmanager.GetSecretValue' || typeof SecretId !== 'string')
        return answer(res, 400, {
          __type: 'InvalidRequestException',
          message: `Not served: ${String(target)}`,
        });
      state.requests.push(SecretId);
      if (state.mode === 'hang') return;
      if (state.mode === 'fail')
        return answer(res, 400, { __type: state.failWith, message: 'Stand-in failure' });
      const secret = state.secrets.get(SecretId);
      if (!secret)
        return answer(res, 400, {
          __type: 'ResourceNotFoundException',
          message: "Secrets Manager can't find the specified secret.",
        });
      answer(res, 200, {
        ARN: SecretId,
        Name: SecretId.split(':').at(-1),
        VersionId: secret.versionId,
        SecretString: secret.value,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: Date.now() / 1000,
      });
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, { url: `http://127.0.0.1:${port}` });
}
