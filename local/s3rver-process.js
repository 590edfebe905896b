// Runs s3rver in a process of its own. s3rver's listings past 1000 keys fail on Node 20 unless
// OpenSSL's legacy provider is enabled; the parent starts this file with that flag, so only the local
// S3 server runs with it. Usage: node --openssl-legacy-provider s3rver-process.js DIR PORT
'use strict';
const S3rver = require('s3rver');

const [directory, port] = process.argv.slice(2);
// Port 0 lets the system pick a free port, reported on stdout, so two commands never race for one.
const server = new S3rver({ address: '127.0.0.1', port: Number(port), silent: true, directory });
server.run().then(
  ({ port: bound }) => process.stdout.write(`ready ${bound}\n`),
  (error) => {
    process.stderr.write(`s3rver failed to start: ${error.message}\n`);
    process.exit(1);
  },
);
// The parent closing stdin (or dying) ends the server.
process.stdin.resume();
process.stdin.on('end', () => server.close().finally(() => process.exit(0)));
process.on('SIGTERM', () => server.close().finally(() => process.exit(0)));
