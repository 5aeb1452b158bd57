// Serves the DynamoDB API on 127.0.0.1 with dynalite, in memory.
//
// Usage: node server.js [port]   (port 0 or none: any free port)
// Prints "listening <port>" once ready. With --exit-on-stdin-close it stops when its standard
// input closes, so a test process that dies takes its server with it.
'use strict';
const dynalite = require('dynalite');

const args = process.argv.slice(2);
const port = Number(args.find((a) => /^\d+$/.test(a)) || 0);
const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
server.on('error', (err) => {
  process.stderr.write(`local DynamoDB server failed: ${err.message}\n`);
  process.exit(1);
});
if (args.includes('--exit-on-stdin-close')) {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => process.exit(0));
}
