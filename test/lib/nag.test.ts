import { App, Validations } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { addStacks } from '../../lib/app';

function synthesized(): App {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
  addStacks(app);
  return app;
}

test('cdk-nag AWS Solutions checks find nothing that is not acknowledged', () => {
  const app = synthesized();
  const report = new AwsSolutionsChecks(app).validateScope(app);
  expect(report.violations).toEqual([]);
  expect(report.success).toBe(true);
});

test('every acknowledgement says why', () => {
  const reasons: [string, string][] = [];
  const visit = (construct: IConstruct): void => {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>))
        reasons.push([id, String(reason)]);
    }
    construct.node.children.forEach(visit);
  };
  visit(synthesized());
  expect(reasons.length).toBeGreaterThan(10);
  for (const [id, reason] of reasons) expect({ id, long: reason.length > 40 }).toEqual({ id, long: true });
});

test('a new resource that breaks a rule is reported', () => {
  const app = synthesized();
  const stack = app.node.children.find((child) => child.node.id === 'SaasAnalyticsPipeline') as IConstruct;
  new Bucket(stack, 'Unlogged');
  const report = new AwsSolutionsChecks(app).validateScope(app);
  expect(report.violations.map((violation) => violation.ruleName)).toEqual(
    expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']),
  );
});
