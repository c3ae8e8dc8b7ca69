"use strict";
// Running the store's scripts on the caller's own Redis client: ioredis
// (standalone or Cluster) or node-redis (`redis` 4 and 5, client or cluster).
// The package depends on neither; it only calls the client's script methods.
Object.defineProperty(exports, "__esModule", { value: true });
exports.script = script;
exports.runnerFor = runnerFor;
const node_crypto_1 = require("node:crypto");
const values_1 = require("../values");
function script(source) {
    return Object.freeze({ source, sha: (0, node_crypto_1.createHash)('sha1').update(source).digest('hex') });
}
function isNoScript(error) {
    return error instanceof Error && error.message.startsWith('NOSCRIPT');
}
/** The runner for a client; a `TypeError` for anything that is neither ioredis nor node-redis. */
function runnerFor(client) {
    const c = client;
    if (typeof c === 'object' && c !== null && typeof c.evalsha === 'function' && typeof c.eval === 'function' && typeof c.defineCommand === 'function') {
        const io = client;
        return (s, keys, args) => io.evalsha(s.sha, keys.length, ...keys, ...args).catch((error) => {
            if (!isNoScript(error))
                throw error;
            return io.eval(s.source, keys.length, ...keys, ...args);
        });
    }
    if (typeof c === 'object' && c !== null && typeof c.evalSha === 'function' && typeof c.eval === 'function') {
        const nr = client;
        return (s, keys, args) => nr.evalSha(s.sha, { keys: keys, arguments: args }).catch((error) => {
            if (!isNoScript(error))
                throw error;
            return nr.eval(s.source, { keys: keys, arguments: args });
        });
    }
    throw new TypeError(`client must be an ioredis Redis or Cluster, or a node-redis client or cluster (redis 4 or 5), got ${(0, values_1.describe)(client)}`);
}
