// A warm "container" for one function: loads the bundle once, then runs one invocation per line of
// stdin ({"event": ..., "timeoutMs": ...}), printing a marker line with the result. Plain JS on purpose:
// it runs the uploaded artifact with nothing of the test's own code loaded.
'use strict';
const path = require('node:path');
const readline = require('node:readline');

const [codeDir, handlerSpec, timeoutS] = process.argv.slice(2);
const dot = handlerSpec.lastIndexOf('.');
const started = process.hrtime.bigint();
const mod = require(path.join(codeDir, handlerSpec.slice(0, dot)));
const handler = mod[handlerSpec.slice(dot + 1)];
process.stdout.write(`\n__READY__${JSON.stringify({ initMs: Number(process.hrtime.bigint() - started) / 1e6 })}\n`);

const lines = readline.createInterface({ input: process.stdin });
const queue = [];
let busy = false;
lines.on('line', (line) => {
  queue.push(line);
  if (!busy) void next();
});

async function next() {
  busy = true;
  while (queue.length) {
    const { event, id } = JSON.parse(queue.shift());
    const deadline = Date.now() + Number(timeoutS) * 1000;
    const context = { getRemainingTimeInMillis: () => deadline - Date.now(), functionName: 'e2e', awsRequestId: String(id) };
    const t0 = Date.now();
    let result;
    // Lambda ends the invocation at its timeout, whatever the handler is doing.
    const timeout = new Promise((resolve) => setTimeout(() => resolve({ ok: false, errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${timeoutS} seconds` }), Number(timeoutS) * 1000).unref());
    try {
      result = await Promise.race([Promise.resolve(handler(event, context)).then((r) => ({ ok: true, result: r === undefined ? null : r })), timeout]);
    } catch (e) {
      result = { ok: false, errorType: (e && e.name) || 'Error', errorMessage: String((e && e.message) || e) };
    }
    process.stdout.write(`\n__RESULT__${JSON.stringify({ id, durationMs: Date.now() - t0, ...result })}\n`);
  }
  busy = false;
}
