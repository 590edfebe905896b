import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

// Docker cannot run on the machines this project is built on, so the file's structure is what is tested.
interface Service {
  image: string;
  ports?: string[];
  environment?: Record<string, string>;
  healthcheck?: unknown;
  depends_on?: Record<string, { condition: string }>;
}
const compose = parse(
  readFileSync(path.resolve(__dirname, '../../docker-compose.localstack.yml'), 'utf8'),
) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};

test('LocalStack, PostgreSQL 15 and Metabase, each image pinned to a version', () => {
  expect(Object.keys(compose.services).sort()).toEqual(['localstack', 'metabase', 'postgres']);
  for (const service of Object.values(compose.services)) expect(service.image).toMatch(/:v?\d+(\.\d+)+$/);
  expect(compose.services.postgres?.image).toMatch(/^postgres:15\./);
});

test('LocalStack serves what the stacks use', () => {
  const services = compose.services.localstack?.environment?.SERVICES?.split(',') ?? [];
  expect(services).toEqual(
    expect.arrayContaining(['s3', 'lambda', 'stepfunctions', 'events', 'secretsmanager', 'cloudformation']),
  );
});

test('every port is bound to loopback only, and the database password comes from the environment', () => {
  for (const service of Object.values(compose.services)) {
    for (const port of service.ports ?? []) expect(port).toMatch(/^127\.0\.0\.1:/);
  }
  expect(compose.services.postgres?.environment?.POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD:\?/);
});

test('Metabase waits for a healthy database, and data lives in named volumes', () => {
  expect(compose.services.postgres?.healthcheck).toBeDefined();
  expect(compose.services.metabase?.depends_on?.postgres?.condition).toBe('service_healthy');
  expect(Object.keys(compose.volumes)).toEqual(expect.arrayContaining(['postgres-data', 'metabase-data']));
});
