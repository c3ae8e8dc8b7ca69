"use strict";
// Running the store's scripts on the caller's own Redis client: ioredis
// (standalone or Cluster) or node-redis (`redis` 4, 5 and 6, client or cluster).
// The package depends on neither; it only calls the client's script methods.
Object.defineProperty(exports, "__esModule", { value: true });
exports.script = script;
exports.connectionFor = connectionFor;
exports.runnerFor = runnerFor;
const node_crypto_1 = require("node:crypto");
const values_1 = require("../values");
function script(source) {
    return Object.freeze({ source, sha: (0, node_crypto_1.createHash)('sha1').update(source).digest('hex') });
}
function isNoScript(error) {
    return error instanceof Error && error.message.startsWith('NOSCRIPT');
}
/** The connection for a client; a `TypeError` for anything that is neither ioredis nor node-redis. */
function connectionFor(client) {
    const run = runnerFor(client);
    const c = client;
    if (typeof c.defineCommand === 'function') {
        const call = (target) => (args) => target.call(...args);
        if (typeof c.nodes === 'function') {
            // ioredis Cluster: its masters once it has connected.
            const servers = async () => {
                if (c.status !== 'ready')
                    await new Promise((resolve) => c.once('ready', () => resolve(undefined)));
                return (c.nodes('master')).map(call);
            };
            return { run, command: undefined, servers };
        }
        const command = call(c);
        return { run, command, servers: async () => [command] };
    }
    const send = (target) => (args) => target.sendCommand(args);
    if (Array.isArray(c.masters) && typeof c.nodeClient === 'function') {
        // node-redis cluster: a client per master.
        const servers = async () => Promise.all(c.masters.map(async (master) => send((await c.nodeClient(master)))));
        return { run, command: undefined, servers };
    }
    const command = send(c);
    return { run, command, servers: async () => [command] };
}
/** The runner for a client; a `TypeError` for anything that is neither ioredis nor node-redis. */
function runnerFor(client) {
    const c = client;
    if (typeof c === 'object' && c !== null && typeof c.evalsha === 'function' && typeof c.eval === 'function' && typeof c.defineCommand === 'function') {
        const io = client;
        // One array argument (ioredis flattens it): spreading a checkpoint's
        // 2 × MAX_ENTRIES strings into a call overflows V8's stack.
        const evalsha = io.evalsha;
        const evaluate = io.eval;
        return (s, keys, args) => {
            const keysAndArgs = keys.concat(args);
            return evalsha.call(io, s.sha, keys.length, keysAndArgs).catch((error) => {
                if (!isNoScript(error))
                    throw error;
                return evaluate.call(io, s.source, keys.length, keysAndArgs);
            });
        };
    }
    if (typeof c === 'object' && c !== null && typeof c.evalSha === 'function' && typeof c.eval === 'function') {
        const nr = client;
        if (Array.isArray(c.masters) && typeof c.nodeClient === 'function' && typeof c.withCommandOptions !== 'function' && typeof c.sendCommand === 'function') {
            // node-redis 4's cluster (no withCommandOptions, added in 5) routes
            // evalSha/eval by calling the command's key function with the SHA in
            // place of the options, so it finds no key and picks a random master;
            // MOVED sends it to another random one, and after its redirections it
            // fails (redis/node-redis#2811). Its sendCommand takes the routing key
            // itself: every key of a budget shares the first key's slot.
            const send = c.sendCommand;
            return (s, keys, args) => {
                const tail = [String(keys.length), ...keys].concat(args);
                return send.call(c, keys[0], false, ['EVALSHA', s.sha].concat(tail)).catch((error) => {
                    if (!isNoScript(error))
                        throw error;
                    return send.call(c, keys[0], false, ['EVAL', s.source].concat(tail));
                });
            };
        }
        return (s, keys, args) => nr.evalSha(s.sha, { keys: keys, arguments: args }).catch((error) => {
            if (!isNoScript(error))
                throw error;
            return nr.eval(s.source, { keys: keys, arguments: args });
        });
    }
    throw new TypeError(`client must be an ioredis Redis or Cluster, or a node-redis client or cluster (redis 4, 5 or 6), got ${(0, values_1.describe)(client)}`);
}
