import { createServer, type Server, type Socket } from 'node:net';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '../../common/s3-client';

// An S3 endpoint that accepts connections and never answers, as a stalled network path does: the
// client must give up on its own (and retry), not wait for ever.
let server: Server;
let port: number;
const sockets: Socket[] = [];
beforeAll(async () => {
  server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

test('a connection that goes silent fails the request after the idle timeout, retries included', async () => {
  const client = createS3Client({
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    idleTimeoutMs: 200,
  });
  try {
    await expect(client.send(new HeadBucketCommand({ Bucket: 'landing' }))).rejects.toThrow(
      /timed out after 200 ms of inactivity/,
    );
  } finally {
    client.destroy();
  }
  // Three attempts (the SDK's default), each given up after 0.2 s of silence.
  expect(sockets.length).toBe(3);
});
