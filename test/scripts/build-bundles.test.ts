import path from 'node:path';
import { runNode } from '../support/output';

// dist/local/state-machine-library.js is aws-local-stepfunctions bundled into one file by
// scripts/build.js, with its validator and Lambda client loaded on first use: a `run` with nothing new
// does not pay for them. These tests load the real bundle in a child process, through the runner's
// loadRunnerLibrary (which adds what Node 20 lacks).
const REPO = path.resolve(__dirname, '../..');

/** Runs `script` in a child node after making sure dist/ is current; its parsed JSON output. */
async function inChild(script: string): Promise<Record<string, unknown>> {
  const result = await runNode(
    ['-e', `require('./scripts/build').ensureBuilt();\n(async () => {\n${script}\n})();`],
    { cwd: REPO },
  );
  expect(result.stderr).not.toMatch(/Error/);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

const LOADED = `const loaded = (name) => Object.keys(require.cache).some((file) => file.includes('/node_modules/' + name + '/'));`;

test('the bundled runner starts without its validator or the Lambda client, and runs a Task through a local handler', async () => {
  const seen = await inChild(`
    ${LOADED}
    const { StateMachine } = await require('./dist/local/state-machine-runner.js').loadRunnerLibrary();
    const machine = new StateMachine(
      { StartAt: 'Double', States: { Double: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:double', End: true } } },
      { validationOptions: { noValidate: true } },
    );
    const { result } = machine.run({ n: 21 }, { overrides: { taskResourceLocalHandlers: { Double: async (input) => ({ n: input.n * 2 }) } } });
    const output = await result;
    process.stdout.write(JSON.stringify({ output, validator: loaded('asl-validator'), lambda: loaded('@aws-sdk/client-lambda') }));
  `);
  expect(seen).toEqual({ output: { n: 42 }, validator: false, lambda: false });
});

test('the bundled runner still validates a definition when asked, loading the validator then', async () => {
  const seen = await inChild(`
    ${LOADED}
    const { StateMachine } = await require('./dist/local/state-machine-runner.js').loadRunnerLibrary();
    let refused = '';
    try {
      new StateMachine({ StartAt: 'Missing', States: { Only: { Type: 'Pass', End: true } } });
    } catch (error) {
      refused = error.message;
    }
    new StateMachine({ StartAt: 'Only', States: { Only: { Type: 'Pass', End: true } } });
    process.stdout.write(JSON.stringify({ refused: refused.length > 0, validator: loaded('asl-validator') }));
  `);
  expect(seen).toEqual({ refused: true, validator: true });
});
