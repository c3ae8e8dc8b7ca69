// Cancelling a fetch when the budget runs out, with budget.signal.
//
// An agent streams a model's answer over HTTP and charges every line it
// receives as one token. The request is made with `signal: budget.signal`:
// the charge that exhausts the budget aborts the signal, and fetch cancels
// the download there (the body's next read rejects with the signal's
// reason, a BudgetExhaustedError), so the server stops sending. A second
// request made with the already-aborted signal is never sent.
//
// The script starts its own server on 127.0.0.1 with an ephemeral port (no
// network beyond loopback), prints what happened and closes the server.
// Tokens are counted per line, not per network chunk, so the output is the
// same on every run whatever the chunking.
//
//   node examples/abort-signal.mjs

// @ts-check

import http from 'node:http';
import { once } from 'node:events';
import { Budget, BudgetExhaustedError } from '../index.js';

const LINES = 200;

// The "model": streams LINES lines, one every 2 ms, and reports whether
// the client went away before the end.
let requests = 0;
/** @type {(finished: boolean) => void} */
let streamEnded = () => {};
const ended = new Promise((resolve) => {
  streamEnded = resolve;
});
const server = http.createServer((req, res) => {
  requests++;
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
  let sent = 0;
  const timer = setInterval(() => {
    if (sent === LINES) {
      clearInterval(timer);
      res.end();
      streamEnded(true);
      return;
    }
    sent++;
    res.write(`token ${sent}\n`);
  }, 2);
  res.on('close', () => {
    clearInterval(timer);
    if (sent < LINES) streamEnded(false);
  });
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const address = server.address();
if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
const url = `http://127.0.0.1:${address.port}/answer`;

// 20 tokens, a warning past 15.
const budget = Budget.builder().limitWithWarn('tokens', 20, 15).build();
const signal = budget.signal;
signal.addEventListener('abort', () => {
  const reason = signal.reason;
  console.log(`signal aborted: ${reason instanceof BudgetExhaustedError ? `${reason.code} on ${reason.dim}` : String(reason)}`);
});

let lines = 0;
let warned = false;
try {
  const response = await fetch(url, { signal });
  console.log(`fetch: ${response.status}, streaming`);
  if (response.body === null) throw new Error('expected a body');
  const decoder = new TextDecoder();
  let pending = '';
  // The loop never stops by itself: the exhausting charge aborts the
  // signal, and fetch errors the body stream with the signal's reason.
  for await (const chunk of response.body) {
    pending += decoder.decode(chunk, { stream: true });
    let newline;
    while ((newline = pending.indexOf('\n')) >= 0 && !signal.aborted) {
      pending = pending.slice(newline + 1);
      lines++;
      const verdict = budget.charge('tokens', 1);
      if (verdict.kind === 'warn' && !warned) {
        warned = true;
        console.log(`line ${lines}: warn on ${verdict.dim}`);
      } else if (verdict.kind === 'exhausted') {
        console.log(`line ${lines}: exhausted on ${verdict.dim}`);
      }
    }
  }
  console.log('stream ended without being cancelled');
} catch (error) {
  console.log(`fetch: rejected with ${error instanceof BudgetExhaustedError ? `BudgetExhaustedError (${error.dim})` : String(error)} after ${lines} lines`);
}
console.log(`server: ${(await ended) ? 'sent the whole answer' : 'the client closed the connection before the end of the answer'}`);

// The signal stays aborted: a further request with it is refused at once.
try {
  await fetch(url, { signal });
  console.log('second fetch: sent');
} catch (error) {
  console.log(`second fetch: rejected before sending (${error instanceof BudgetExhaustedError ? error.code : String(error)})`);
}
console.log(`server: ${requests} request(s) received`);
console.log(`tokens: spent ${budget.spent('tokens')}, remaining ${budget.remaining('tokens')}`);

// Closes the sockets still open (keep-alive ones included) instead of waiting for their timeouts.
server.closeAllConnections();
server.close();
await once(server, 'close');
console.log('abort-signal: server closed');
