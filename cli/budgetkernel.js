#!/usr/bin/env node
"use strict";
/**
 * `budgetkernel replay [FILE|-] [--pretty] [--engine native|wasm]`: a thin
 * argv and I/O shell over ./replay.ts (trace logic) and ./pretty.ts (the
 * human table). The trace contract is docs/TRACE_FORMAT.md.
 *
 * Compiled by the build (ts/tsconfig.json) to cli/budgetkernel.js, which is
 * committed, so the package's `bin` runs after install without a build.
 */
Object.defineProperty(exports, "__esModule", { value: true });
const fs = require("node:fs");
const path = require("node:path");
const node_crypto_1 = require("node:crypto");
const engine_1 = require("./engine");
const USAGE = `Usage: budgetkernel replay [FILE|-] [--pretty] [--engine native|wasm]
       budgetkernel replay --redis redis://HOST:PORT[/DB] [--prefix P] [FILE|-]
       budgetkernel --help | --version

Replays a budget trace (JSON Lines, one operation per line; see
docs/TRACE_FORMAT.md) and writes one JSON line per operation.
FILE defaults to standard input ("-").

Options:
  --pretty    print a human-readable table instead of JSON Lines
              (colour on a terminal; set NO_COLOR to turn it off)
  --engine E  run the kernel on engine E: native (the platform's addon)
              or wasm (the WebAssembly build, budgetkernel/wasm); the
              output is the same. Default: the main entry's choice
              (BUDGETKERNEL_ENGINE, else native). Not with --redis.
  --redis URL keep the budget in Redis (budgetkernel/redis) instead of in
              this process, under a fresh key deleted at the end; the
              output is the same. Needs ioredis or redis installed.
              Not with --pretty.
  --prefix P  the store's key prefix with --redis (default "bk")
  -h, --help  show this help
  --version   print the package version

Exit status: 0 every line was valid, 1 at least one line was invalid,
2 usage error or unreadable input, 3 the Redis store was unavailable
(--redis), 70 internal error (for example no native binary for this
platform).
`;
/** Output is written in batches of about this many UTF-16 code units. */
const FLUSH_AT = 64 * 1024;
class UsageError extends Error {
}
/** @param argv arguments after the script name */
function parseArgs(argv) {
    if (argv.length === 0)
        throw new UsageError('missing command');
    const [command, ...rest] = argv;
    if (command === '-h' || command === '--help' || command === 'help')
        return { kind: 'help' };
    if (command === '--version' || command === '-V')
        return { kind: 'version' };
    if (command !== 'replay')
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    let pretty = false;
    let file;
    let redis;
    let prefix;
    let engine;
    let options = true;
    for (let i = 0; i < rest.length; i++) {
        const arg = rest[i] ?? '';
        if (options && (arg === '--redis' || arg === '--prefix' || arg === '--engine')) {
            const value = rest[++i];
            if (value === undefined)
                throw new UsageError(`${arg} needs a value`);
            if (arg === '--redis')
                redis = value;
            else if (arg === '--prefix')
                prefix = value;
            else if ((0, engine_1.isEngineName)(value))
                engine = value;
            else
                throw new UsageError(`--engine must be ${engine_1.ENGINES.join(' or ')}, got ${JSON.stringify(value)}`);
        }
        else if (options && arg === '--') {
            options = false;
        }
        else if (options && (arg === '-h' || arg === '--help')) {
            return { kind: 'help' };
        }
        else if (options && arg === '--pretty') {
            pretty = true;
        }
        else if (options && arg.startsWith('-') && arg !== '-') {
            throw new UsageError(`unknown option ${JSON.stringify(arg)}`);
        }
        else if (file === undefined) {
            file = arg;
        }
        else {
            throw new UsageError(`unexpected argument ${JSON.stringify(arg)} (only one FILE)`);
        }
    }
    if (prefix !== undefined && redis === undefined)
        throw new UsageError('--prefix needs --redis');
    if (pretty && redis !== undefined)
        throw new UsageError('--pretty cannot be combined with --redis');
    if (engine !== undefined && redis !== undefined) {
        throw new UsageError('--engine cannot be combined with --redis (the budget is kept in Redis)');
    }
    return { kind: 'replay', file: file ?? '-', pretty, engine, redis, prefix };
}
/**
 * Opens the input before anything is written, so an unreadable file leaves
 * stdout empty.
 */
function openInput(file) {
    if (file === '-')
        return process.stdin;
    const fd = fs.openSync(file, 'r');
    try {
        if (fs.fstatSync(fd).isDirectory()) {
            throw Object.assign(new Error(`EISDIR: illegal operation on a directory`), { code: 'EISDIR' });
        }
    }
    catch (err) {
        fs.closeSync(fd);
        throw err;
    }
    return fs.createReadStream('', { fd, highWaterMark: 256 * 1024 });
}
/** Buffered writer to stdout that waits for 'drain' when the stream asks. */
class Output {
    stream;
    parts = [];
    size = 0;
    constructor(stream) {
        this.stream = stream;
    }
    write(text) {
        this.parts.push(text);
        this.size += text.length;
    }
    /** True when enough is buffered to be worth a write. */
    get full() {
        return this.size >= FLUSH_AT;
    }
    async flush() {
        if (this.parts.length === 0)
            return;
        const text = this.parts.join('');
        this.parts = [];
        this.size = 0;
        if (!this.stream.write(text)) {
            await new Promise((resolve) => this.stream.once('drain', resolve));
        }
    }
}
function fail(message) {
    process.stderr.write(`budgetkernel: ${message}\n`);
    process.exitCode = 2;
}
function message(err) {
    return err instanceof Error ? err.message : String(err);
}
async function main(argv) {
    let args;
    try {
        args = parseArgs(argv);
    }
    catch (err) {
        if (!(err instanceof UsageError))
            throw err;
        process.stderr.write(`budgetkernel: ${err.message}\n\n${USAGE}`);
        process.exitCode = 2;
        return;
    }
    if (args.kind === 'help') {
        process.stdout.write(USAGE);
        return;
    }
    if (args.kind === 'version') {
        const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
        process.stdout.write(`${pkg.version}\n`);
        return;
    }
    let input;
    try {
        input = openInput(args.file);
    }
    catch (err) {
        fail(`cannot read ${args.file}: ${describe(err)}`);
        return;
    }
    let replay;
    try {
        // The engine is chosen before any module of the package loads.
        if (args.redis === undefined)
            (0, engine_1.selectEngine)(args.engine);
        replay = require('./replay');
    }
    catch (err) {
        // Typically no native binary for this platform (or no wasm build): the
        // loader's message says which one it looked for and what to do.
        const what = args.engine === 'wasm' ? 'the wasm engine' : 'the native addon';
        process.stderr.write(`budgetkernel: cannot load ${what}: ${message(err)}\n`);
        process.exitCode = 70;
        return;
    }
    const { LineSplitter, Replayer, formatOutcome } = replay;
    const out = new Output(process.stdout);
    process.stdout.on('error', (err) => {
        // The reader went away (for example `| head`): stop quietly, the output
        // is incomplete, so the run does not count as a success.
        if (err.code === 'EPIPE')
            process.exit(1);
        throw err;
    });
    if (args.redis !== undefined) {
        await replayRedis(args.redis, args.prefix, input, args.file, out);
        return;
    }
    const replayer = new Replayer();
    const splitter = new LineSplitter();
    let onLine;
    let finish = () => { };
    if (args.pretty) {
        const { PrettyPrinter } = require('./pretty');
        const printer = new PrettyPrinter({
            color: colorEnabled(process.stdout),
            title: args.file === '-' ? 'stdin' : args.file,
        });
        out.write(printer.header());
        onLine = (text) => {
            const outcome = replayer.line(text);
            if (outcome !== undefined)
                out.write(printer.step(outcome, replayer));
        };
        finish = () => out.write(printer.summary(replayer));
    }
    else {
        onLine = (text) => {
            const outcome = replayer.line(text);
            if (outcome !== undefined)
                out.write(formatOutcome(outcome) + '\n');
        };
    }
    try {
        for await (const chunk of input) {
            splitter.push(chunk, onLine);
            if (out.full)
                await out.flush();
        }
    }
    catch (err) {
        await out.flush();
        fail(`cannot read ${args.file}: ${describe(err)}`);
        return;
    }
    splitter.end(onLine);
    finish();
    await out.flush();
    process.exitCode = replayer.invalid > 0 ? 1 : 0;
}
function isStoreUnavailable(err) {
    return err instanceof Error && err.code === 'STORE_UNAVAILABLE';
}
/**
 * The --redis replay: the same line splitting, parsing and formatting, each
 * operation awaited against the budget in Redis.
 */
async function replayRedis(redisUrl, prefix, input, file, out) {
    const { RedisReplayer, RedisBudgets, parseRedisUrl, connect } = require('./replay-redis');
    const { LineSplitter, formatOutcome } = require('./replay');
    const timeoutMs = 5000;
    let url;
    try {
        url = parseRedisUrl(redisUrl).url;
    }
    catch (err) {
        fail(message(err));
        return;
    }
    let connection;
    try {
        connection = await connect(url, timeoutMs);
    }
    catch (err) {
        process.stderr.write(`budgetkernel: cannot connect to ${redisUrl}: ${message(err)}\n`);
        process.exitCode = err instanceof TypeError ? 2 : 3;
        return;
    }
    let store;
    try {
        store = new RedisBudgets(connection.client, { prefix, timeoutMs });
    }
    catch (err) {
        await connection.close();
        fail(message(err));
        return;
    }
    const replayer = new RedisReplayer(store, `replay:${(0, node_crypto_1.randomUUID)()}`);
    const splitter = new LineSplitter();
    let lines = [];
    const collect = (text) => void lines.push(text);
    const drain = async () => {
        const batch = lines;
        lines = [];
        for (const text of batch) {
            const outcome = await replayer.lineAsync(text);
            if (outcome !== undefined)
                out.write(formatOutcome(outcome) + '\n');
        }
        if (out.full)
            await out.flush();
    };
    try {
        try {
            for await (const chunk of input) {
                splitter.push(chunk, collect);
                await drain();
            }
        }
        catch (err) {
            if (isStoreUnavailable(err))
                throw err;
            await out.flush();
            await replayer.close().catch(() => { });
            fail(`cannot read ${file}: ${describe(err)}`);
            return;
        }
        splitter.end(collect);
        await drain();
        await out.flush();
        await replayer.close();
        process.exitCode = replayer.invalid > 0 ? 1 : 0;
    }
    catch (err) {
        if (!isStoreUnavailable(err))
            throw err;
        await out.flush();
        process.stderr.write(`budgetkernel: ${err.message}\n`);
        process.exitCode = 3;
    }
    finally {
        await connection.close();
    }
}
function describe(err) {
    const e = err;
    switch (e && e.code) {
        case 'ENOENT':
            return 'no such file';
        case 'EISDIR':
            return 'is a directory';
        case 'EACCES':
        case 'EPERM':
            return 'permission denied';
        default:
            return e instanceof Error ? e.message : String(err);
    }
}
/**
 * Colour only on a terminal, and never when NO_COLOR is set to a non-empty
 * value (https://no-color.org).
 */
function colorEnabled(stream) {
    const noColor = process.env.NO_COLOR;
    if (noColor !== undefined && noColor !== '')
        return false;
    return stream.isTTY === true;
}
main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`budgetkernel: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 70;
});
