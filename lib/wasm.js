"use strict";
// The wasm engine: budgetkernel.wasm (crates/budgetkernel-wasm, built by
// scripts/build.mjs) behind exactly the interface of the native binding
// (binding.d.ts): same functions, arguments, return values and failure
// protocol (-1 / false, then takeError()). The operations, the handle table
// and the failure codes are the Rust ones the addon uses
// (crates/budgetkernel-engine); this file only moves values across.
//
// Arrays cross through scratch buffers the module owns: their addresses and
// typed-array views are cached, so a call copies its array and allocates
// nothing once the buffers are large enough. Views are rebuilt when the
// memory grows (its ArrayBuffer is then replaced).
//
// A trap (a wasm panic, built as abort; the engine has none that a caller
// can trigger) becomes an Error, and the instance refuses every later call:
// its table may have been left mid-update.
//
// A WebAssembly memory never shrinks, so once a burst of budgets has gone
// the engine moves its table into a fresh instance of the same module and
// lets the old memory go with the old instance (see `move` below): the
// move is invisible, every handle keeps naming the same budget.
Object.defineProperty(exports, "__esModule", { value: true });
exports.MOVE_MAX_LIVE = exports.MOVE_FLOOR = exports.WASM_PATH = void 0;
exports.loadWasm = loadWasm;
exports.instantiateWasm = instantiateWasm;
exports.memoryOf = memoryOf;
const node_fs_1 = require("node:fs");
const node_path_1 = require("node:path");
const WA = globalThis.WebAssembly;
/** The file next to the package's root (this file is lib/wasm.js). */
exports.WASM_PATH = (0, node_path_1.join)(__dirname, '..', 'budgetkernel.wasm');
/** A fresh engine (its own instance, memory and table). */
function loadWasm() {
    return instantiateWasm().engine;
}
/** {@link loadWasm}, with the instance's memory. */
function instantiateWasm() {
    let bytes;
    try {
        bytes = (0, node_fs_1.readFileSync)(exports.WASM_PATH);
    }
    catch (error) {
        throw new Error(`budgetkernel: the wasm engine ${exports.WASM_PATH} is missing (run npm run build)`, { cause: error });
    }
    const module = new WA.Module(bytes);
    const engine = wrap(module);
    return { engine, memory: memoryOf(engine) };
}
const memories = new WeakMap();
/**
 * The linear memory an engine made here uses now, `undefined` for any other
 * engine. It grows with the table and never shrinks, but after a move (see
 * {@link MOVE_FLOOR}) it is another, smaller one. The memory tests read it.
 */
function memoryOf(engine) {
    return memories.get(engine);
}
const U64_MAX = (1n << 64n) - 1n;
/**
 * When a release lets the table give memory back, the engine moves the
 * table to a fresh instance (see `move` in {@link wrap}) if its memory is at
 * least this large: below it a move would return little.
 */
exports.MOVE_FLOOR = 32 * 1024 * 1024;
/**
 * ... and if at most this many budgets are live: a move rebuilds each of
 * them (6 to 12 ms for 4,096 budgets on the reference machine), so a larger
 * table keeps its memory rather than pause the caller for longer.
 */
exports.MOVE_MAX_LIVE = 4096;
function instantiate(module) {
    return new WA.Instance(module, {}).exports;
}
function wrap(module) {
    let ex = instantiate(module);
    const decoder = new TextDecoder();
    let broken = null;
    let buffer = null;
    let bytes = new Uint8Array(0);
    let words = new BigUint64Array(0);
    let floats = new Float64Array(0);
    const byteArea = { at: 0, cap: 0, reserve: (len) => ex.bk_reserve_bytes(len) };
    const wordArea = { at: 0, cap: 0, reserve: (len) => ex.bk_reserve_words(len) };
    const floatArea = { at: 0, cap: 0, reserve: (len) => ex.bk_reserve_floats(len) };
    function views() {
        if (buffer === ex.memory.buffer)
            return;
        const b = ex.memory.buffer;
        buffer = b;
        bytes = new Uint8Array(b, byteArea.at, byteArea.cap);
        words = new BigUint64Array(b, wordArea.at, wordArea.cap);
        floats = new Float64Array(b, floatArea.at, floatArea.cap);
    }
    /** Room for `len` elements in `area`; false (TABLE_FULL recorded by the module) when the memory is exhausted. */
    function room(area, len) {
        if (len > area.cap) {
            const at = area.reserve(len);
            if (at === 0)
                return false;
            area.at = at;
            area.cap = len;
            buffer = null;
        }
        views();
        return true;
    }
    /** Text the module just wrote to its byte buffer. */
    function text(len) {
        // The module may have grown the buffer (and the memory) to write it.
        byteArea.cap = 0;
        room(byteArea, len);
        return decoder.decode(bytes.subarray(0, len));
    }
    function names(read) {
        const out = [];
        for (let i = 0;; i++) {
            const len = read(i);
            if (len <= 0)
                return out;
            out.push(text(len));
        }
    }
    /** The error of a call on an instance that trapped earlier. */
    function dead() {
        return new Error('budgetkernel: the wasm engine trapped earlier and cannot be used again', { cause: broken });
    }
    /**
     * What a call that threw throws: a trap breaks the instance and becomes an
     * Error. The broken instance's exports are replaced by ones that throw
     * {@link dead} (its memory stays, for views made before), so no call
     * checks for a trap before it runs.
     */
    function trapped(error) {
        if (error instanceof WA.RuntimeError) {
            broken = error;
            const refuse = () => {
                throw dead();
            };
            const memory = ex.memory;
            ex = Object.fromEntries(Object.keys(ex).map((name) => [name, refuse]));
            ex.memory = memory;
            return new Error('budgetkernel: the wasm engine trapped; this instance cannot be used again', { cause: error });
        }
        return error;
    }
    // The hot calls (charge, clone, release) are written out with the guard's
    // try/catch, without its rest parameter and spread: where V8 does not
    // inline them (a `run()` scope's clone and release) the rest array and
    // the spread call cost a few ns (3 to 10 ns per scope, measured with
    // bench/engines.mjs's cases).
    function guard(f) {
        return (...args) => {
            try {
                return f(...args);
            }
            catch (error) {
                throw trapped(error);
            }
        };
    }
    const codes = names((i) => ex.bk_code_name(i));
    /**
     * Moves the table into a fresh instance when it has drained (a release
     * just gave table memory back) and the memory is worth returning. The old
     * instance writes a snapshot of its table (every slot, generation and
     * free-list entry: crates/budgetkernel-engine/src/table/snapshot.rs),
     * the fresh one rebuilds the same table from it, and only then is the old
     * one dropped, with its memory. Any failure (no memory for the snapshot
     * or the instance) keeps the old instance, unchanged.
     */
    function move() {
        if (ex.memory.buffer.byteLength < exports.MOVE_FLOOR || ex.bk_live_budgets() > exports.MOVE_MAX_LIVE)
            return;
        const len = ex.bk_snapshot();
        // The word buffer may have been reallocated for the snapshot.
        wordArea.cap = 0;
        buffer = null;
        if (len < 0)
            return;
        const from = new BigUint64Array(ex.memory.buffer, ex.bk_reserve_words(len), len);
        let fresh;
        try {
            fresh = instantiate(module);
            const at = fresh.bk_reserve_words(len);
            if (at === 0)
                return;
            new BigUint64Array(fresh.memory.buffer, at, len).set(from);
            if (fresh.bk_restore(len) !== 1)
                return;
        }
        catch {
            // The fresh instance could not be made or trapped: it is dropped, and
            // the old one, which the move has not changed, goes on.
            return;
        }
        ex = fresh;
        // Nothing may keep the old memory alive: its views go too.
        byteArea.cap = 0;
        floatArea.cap = 0;
        bytes = new Uint8Array(0);
        words = new BigUint64Array(0);
        floats = new Float64Array(0);
        memories.set(engine, ex.memory);
    }
    function read(status) {
        if (status === 1)
            return BigInt.asUintN(64, ex.bk_value());
        if (status === 0)
            return null;
        const error = new Error(codes[-1 - status] ?? 'INTERNAL');
        error.code = 'InvalidArg';
        throw error;
    }
    /** The first min(len, array length) entries of `array` are copied; `len` is the call's (u32) length. */
    function batch(handle, dims, amounts, len, big) {
        const n = len >>> 0;
        const nd = Math.min(n, dims.length);
        const na = Math.min(n, amounts.length);
        if (!room(byteArea, nd) || !room(big ? wordArea : floatArea, na))
            return -1;
        bytes.set(dims.subarray(0, nd));
        if (big) {
            words.set(amounts.subarray(0, na));
            return ex.bk_charge_batch_big(handle, nd, na, len);
        }
        floats.set(amounts.subarray(0, na));
        return ex.bk_charge_batch(handle, nd, na, len);
    }
    const engine = {
        MAX_DIMENSIONS: ex.bk_max_dimensions(),
        dimNames: guard(() => names((i) => ex.bk_dim_name(i))),
        create: guard((declarations, count) => {
            const n = declarations.length;
            if (!room(wordArea, n))
                return -1;
            words.set(declarations);
            return ex.bk_create(n, count);
        }),
        clone: (handle) => {
            try {
                return ex.bk_clone(handle);
            }
            catch (error) {
                throw trapped(error);
            }
        },
        release: (handle) => {
            try {
                const released = ex.bk_release(handle);
                if (released === 2)
                    move();
                return released !== 0;
            }
            catch (error) {
                throw trapped(error);
            }
        },
        liveBudgets: guard(() => ex.bk_live_budgets()),
        tableCapacity: guard(() => ex.bk_table_capacity()),
        charge: (handle, dimIndex, amount) => {
            try {
                return ex.bk_charge(handle, dimIndex, amount);
            }
            catch (error) {
                throw trapped(error);
            }
        },
        chargeBig: guard((handle, dimIndex, amount) => ex.bk_charge_big(handle, dimIndex, BigInt.asIntN(64, amount), amount >= 0n && amount <= U64_MAX ? 1 : 0)),
        chargeFew: guard((handle, packed, a0, a1, a2) => ex.bk_charge_few(handle, packed, a0, a1, a2)),
        chargeBatch: guard((handle, dims, amounts, len) => batch(handle, dims, amounts, len, false)),
        chargeBatchBig: guard((handle, dims, amounts, len) => batch(handle, dims, amounts, len, true)),
        spent: guard((handle, dimIndex) => read(ex.bk_spent(handle, dimIndex))),
        remaining: guard((handle, dimIndex) => read(ex.bk_remaining(handle, dimIndex))),
        reset: guard((handle) => ex.bk_reset(handle)),
        takeError: guard(() => {
            const packed = ex.bk_take_error();
            if (packed < 0)
                return null;
            const code = packed % 16;
            const dim = Math.floor(packed / 16) % 16;
            const index = Math.floor(packed / 256);
            const failure = { code: codes[code] ?? 'INTERNAL' };
            if (dim > 0)
                failure.dim = dim - 1;
            if (index > 0)
                failure.index = index - 1;
            const len = ex.bk_message();
            if (len > 0)
                failure.message = text(len);
            return failure;
        }),
    };
    memories.set(engine, ex.memory);
    return engine;
}
