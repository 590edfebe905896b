import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

// The workflows run on GitHub, not here: their structure is what is tested.
interface Workflow {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  jobs: Record<string, { steps: { uses?: string; run?: string; with?: Record<string, string> }[] }>;
}
const load = (name: string) =>
  parse(readFileSync(path.resolve(__dirname, '../../.github/workflows', name), 'utf8')) as Workflow;

test('pull requests run the type check, lint, the tests and a CDK synth, with read-only permissions', () => {
  const ci = load('ci.yml');
  expect(Object.keys(ci.on)).toContain('pull_request');
  expect(ci.permissions).toEqual({ contents: 'read' });
  const runs = Object.values(ci.jobs).flatMap((job) => job.steps.map((step) => step.run ?? ''));
  expect(runs).toEqual(
    expect.arrayContaining([
      'npm ci',
      'npm run typecheck',
      'npm run lint',
      'npm test',
      'npx cdk synth --quiet',
    ]),
  );
});

test('a version tag deploys through an OIDC role, with no long-lived keys', () => {
  const deploy = load('deploy.yml');
  expect(deploy.on).toEqual({ push: { tags: ['v*'] } });
  expect(deploy.permissions['id-token']).toBe('write');
  const steps = Object.values(deploy.jobs).flatMap((job) => job.steps);
  const credentials = steps.find((step) => step.uses?.startsWith('aws-actions/configure-aws-credentials@'));
  expect(credentials?.with?.['role-to-assume']).toMatch(/^\$\{\{ vars\.AWS_DEPLOY_ROLE_ARN \}\}$/);
  expect(JSON.stringify(steps)).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY/);
  expect(steps.some((step) => step.run?.startsWith('npx cdk deploy'))).toBe(true);
});

test('every action is pinned to a major version', () => {
  for (const name of ['ci.yml', 'deploy.yml']) {
    for (const step of Object.values(load(name).jobs).flatMap((job) => job.steps)) {
      if (step.uses) expect(step.uses).toMatch(/@v\d+$/);
    }
  }
});
