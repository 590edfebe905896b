import { lineProblem } from '../../../lambdas/warehouse/line-checks';

// CI runs this on Node 20 and on Node 24 (the Lambda runtime's), whose JSON.parse word some errors
// differently: the quarantine must read the same on both (npm run test:bundles found a line cut after
// a property name stored with different messages by the CLI and by the deployed functions).
test.each([
  ['cut after a property name', '{"a":1,"b"', 'Unexpected end of JSON input'],
  ['cut after a colon', '{"a":1,"b":', 'Unexpected end of JSON input'],
  ['cut after a comma', '{"a":1,', 'Unexpected end of JSON input'],
  ['cut inside a string', '{"a":"x', 'Unexpected end of JSON input'],
  ['cut inside an array', '[1,2', 'Unexpected end of JSON input'],
  ['a stray closer', '{"a":1}}', 'Unexpected non-whitespace character after JSON at position 7'],
  ['a trailing comma', '{"a":1,}', 'Expected double-quoted property name in JSON at position 7'],
  ['not JSON at all', 'not json', `Unexpected token 'o', "not json" is not valid JSON`],
])('invalid JSON, %s, reads the same on every Node', (_case, line, detail) => {
  expect(lineProblem(line)).toEqual({ reason: 'invalid_json', detail });
});
