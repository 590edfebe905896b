import path from 'node:path';

/** Where local state lives: the embedded database, the landing folder, the local S3 server's objects. */
export function pipelineHome(): string {
  return path.resolve(process.env.SAAS_PIPELINE_HOME ?? '.saas-pipeline');
}

export function landingDir(): string {
  return path.join(pipelineHome(), 'landing');
}

/** The folder of the local S3 server the landing bucket is on; undefined when S3_ENDPOINT names one. */
export function localS3Dir(): string | undefined {
  return process.env.S3_ENDPOINT ? undefined : path.join(pipelineHome(), 's3');
}
