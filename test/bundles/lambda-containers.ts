import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { LOCAL_ACCOUNT, type DeployedFunction } from './cloud-assembly';

/** What Lambda reports of a failed invocation: Step Functions takes errorType as the error's name. */
export interface LambdaError {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace?: readonly string[];
}

export type Invocation =
  { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly error: LambdaError };

/** What happened to one function, for the test to look at afterwards. */
export interface FunctionRecord {
  invocations: number;
  containers: number;
  /** process.version in each of its containers. */
  readonly nodeVersions: Set<string>;
  /** Every .sql file its bundle read, absolute. */
  readonly sqlRead: Set<string>;
  /** What it wrote to stdout, a line each: what CloudWatch Logs would hold. */
  readonly logLines: string[];
  readonly stderr: string[];
}

export interface LambdaContainersOptions {
  /** The Node binary the runtime runs: Node 24, as nodejs24.x. */
  readonly node: string;
  /** Variables beyond the function's own, set last: where the AWS APIs and the SDK are found here. */
  readonly environment: (fn: DeployedFunction) => Record<string, string>;
}

const RUNTIME = path.join(__dirname, 'lambda-runtime.js');

/**
 * Runs bundles the way Lambda does: each invocation goes to an idle container of its function, or to
 * a new one (a cold start) when all are busy, so that parallel states get containers of their own and
 * module state (a pool, a cached secret) lives on between invocations of one container. A container is
 * a Node process running lambda-runtime.js in the function's code folder, with the function's
 * environment and nothing of this process's. An invocation that outlives the function's timeout is
 * killed with its container, as Lambda does.
 */
export class LambdaContainers {
  readonly records = new Map<string, FunctionRecord>();
  private readonly idle = new Map<string, Container[]>();
  private readonly running = new Set<Container>();

  constructor(private readonly options: LambdaContainersOptions) {}

  record(fn: DeployedFunction): FunctionRecord {
    let record = this.records.get(fn.logicalId);
    if (!record) {
      record = {
        invocations: 0,
        containers: 0,
        nodeVersions: new Set(),
        sqlRead: new Set(),
        logLines: [],
        stderr: [],
      };
      this.records.set(fn.logicalId, record);
    }
    return record;
  }

  async invoke(fn: DeployedFunction, event: unknown): Promise<Invocation> {
    const record = this.record(fn);
    record.invocations += 1;
    let container: Container;
    try {
      container = this.idle.get(fn.logicalId)?.pop() ?? (await this.start(fn, record));
    } catch (error) {
      // The process died during init; its stderr is in the message.
      return { ok: false, error: { errorType: 'Runtime.ExitError', errorMessage: (error as Error).message } };
    }
    const outcome = await container.invoke(event);
    if (container.alive) this.idle.set(fn.logicalId, [...(this.idle.get(fn.logicalId) ?? []), container]);
    return outcome;
  }

  /** Ends every container: the next invocations start cold, and read their secrets again. */
  async stopAll(): Promise<void> {
    this.idle.clear();
    await Promise.all([...this.running].map((container) => container.stop()));
  }

  private async start(fn: DeployedFunction, record: FunctionRecord): Promise<Container> {
    record.containers += 1;
    const name = fn.logicalId;
    const env: Record<string, string> = {
      // What the runtime sets (docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html).
      PATH: '/usr/local/bin:/usr/bin:/bin',
      LANG: 'en_US.UTF-8',
      TZ: ':UTC',
      LAMBDA_TASK_ROOT: fn.assetDir,
      _HANDLER: fn.handler,
      AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
      AWS_LAMBDA_FUNCTION_NAME: name,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
      AWS_LAMBDA_LOG_STREAM_NAME: `local/[$LATEST]${randomUUID().replace(/-/g, '')}`,
      AWS_REGION: LOCAL_ACCOUNT.region,
      AWS_DEFAULT_REGION: LOCAL_ACCOUNT.region,
      ...fn.environment,
      ...this.options.environment(fn),
    };
    const child = fork(RUNTIME, [], {
      execPath: this.options.node,
      // Not jest's flags: the runtime starts node with the function's NODE_OPTIONS only.
      execArgv: [],
      cwd: fn.assetDir,
      env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const container = new Container(fn, child, record, () => this.running.delete(container));
    this.running.add(container);
    await container.ready;
    return container;
  }
}

interface RuntimeMessage {
  readonly type: 'ready' | 'result' | 'error';
  readonly id?: string;
  readonly node?: string;
  readonly initError?: LambdaError;
  readonly result?: unknown;
  readonly error?: LambdaError;
  readonly sqlRead?: string[];
}

class Container {
  alive = true;
  readonly ready: Promise<void>;
  private initError?: LambdaError;
  private pending?: { id: string; settle: (outcome: Invocation) => void };

  constructor(
    private readonly fn: DeployedFunction,
    private readonly child: ChildProcess,
    private readonly record: FunctionRecord,
    private readonly onExit: () => void,
  ) {
    collectLines(child.stdout, record.logLines);
    collectLines(child.stderr, record.stderr);
    this.ready = new Promise((resolve, reject) => {
      child.on('message', (message: RuntimeMessage) => {
        for (const file of message.sqlRead ?? []) record.sqlRead.add(file);
        if (message.type === 'ready') {
          if (message.node) record.nodeVersions.add(message.node);
          this.initError = message.initError;
          resolve();
        } else if (this.pending && message.id === this.pending.id) {
          const { settle } = this.pending;
          this.pending = undefined;
          settle(
            message.type === 'result'
              ? { ok: true, result: message.result }
              : { ok: false, error: message.error as LambdaError },
          );
        }
      });
      child.on('error', reject);
      child.on('exit', (code, signal) => {
        this.alive = false;
        this.onExit();
        const error = {
          errorType: 'Runtime.ExitError',
          errorMessage: `RequestId: ${this.pending?.id ?? '-'} Error: Runtime exited with error: ${signal ?? `exit status ${code}`}`,
        };
        reject(new Error(`${fn.logicalId}: ${error.errorMessage}\n${record.stderr.join('\n')}`));
        this.pending?.settle({ ok: false, error });
        this.pending = undefined;
      });
    });
  }

  invoke(event: unknown): Promise<Invocation> {
    if (this.initError) return Promise.resolve({ ok: false, error: this.initError });
    const id = randomUUID();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        // Lambda ends the sandbox: nothing of this invocation goes on.
        this.pending = undefined;
        resolve({
          ok: false,
          error: {
            errorType: 'Sandbox.Timedout',
            errorMessage: `RequestId: ${id} Error: Task timed out after ${this.fn.timeoutSeconds.toFixed(2)} seconds`,
          },
        });
        void this.stop();
      }, this.fn.timeoutSeconds * 1000);
      this.pending = {
        id,
        settle: (outcome) => {
          clearTimeout(timer);
          resolve(outcome);
        },
      };
      this.child.send({
        type: 'invoke',
        id,
        requestId: id,
        event,
        functionArn: this.fn.arn,
        deadline: Date.now() + this.fn.timeoutSeconds * 1000,
      });
    });
  }

  stop(): Promise<void> {
    if (!this.alive) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGKILL');
    });
  }
}

function collectLines(stream: NodeJS.ReadableStream | null, into: string[]): void {
  let rest = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    into.push(...lines.filter((line) => line !== ''));
  });
  stream?.on('end', () => {
    if (rest !== '') into.push(rest);
  });
}
