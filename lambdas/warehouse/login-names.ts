/**
 * The pipeline's logins on AWS, one per job, each with a secret of its own (lib/stacks/database-stack.ts).
 * `migrator` runs the migrations and so owns every object; the others hold one group role each.
 * Dependency-free, so that the CDK app names them without loading the database driver.
 */
export const LOGIN_NAMES = {
  migrator: 'pipeline_migrate',
  loader: 'pipeline_load',
  transformer: 'pipeline_transform',
  eraser: 'pipeline_erase',
  reader: 'bi_reader',
} as const;
export type PipelineLogin = keyof typeof LOGIN_NAMES;

/** The group role each login holds (sql/migrations/0017_pipeline_roles.sql, 0030_erasure_requests.sql). */
export const LOGIN_GROUPS = {
  loader: 'saas_loader',
  transformer: 'saas_transformer',
  eraser: 'saas_eraser',
  reader: 'analytics_reader',
} as const;
export type GroupLogin = keyof typeof LOGIN_GROUPS;
