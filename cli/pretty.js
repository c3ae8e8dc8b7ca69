"use strict";
/**
 * The `--pretty` renderer: a numbered table of steps, each with its op, a
 * short description and its result, a spent/limit bar per declared dimension
 * after every charge, and a summary. Laid out for an 80-column terminal
 * (lines never exceed WIDTH columns). Colour is optional and decided by the
 * caller; text taken from the trace is escaped so it cannot drive the
 * terminal.
 */
Object.defineProperty(exports, "__esModule", { value: true });
exports.PrettyPrinter = exports.WIDTH = void 0;
exports.grouped = grouped;
exports.compact = compact;
exports.percent = percent;
exports.displayWidth = displayWidth;
exports.truncate = truncate;
exports.sanitize = sanitize;
/** Widest line printed. */
exports.WIDTH = 78;
/** Cells in a spent/limit bar. */
const BAR = 24;
/** Columns before the detail: step number, line number, op. */
const PREFIX = 24;
/** Indentation of the lines under a step. */
const INDENT = ' '.repeat(12);
const PARTIAL = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
const SGR = {
    green: ['\x1b[32m', '\x1b[39m'],
    yellow: ['\x1b[33m', '\x1b[39m'],
    red: ['\x1b[31m', '\x1b[39m'],
    dim: ['\x1b[2m', '\x1b[22m'],
    bold: ['\x1b[1m', '\x1b[22m'],
};
/** Groups the digits of a non-negative integer by thousands: 1234567 → 1,234,567. */
function grouped(value) {
    const digits = String(value);
    let out = '';
    for (let i = 0; i < digits.length; i++) {
        if (i > 0 && (digits.length - i) % 3 === 0)
            out += ',';
        out += digits.charAt(i);
    }
    return out;
}
const SUFFIXES = ['k', 'M', 'G', 'T', 'P', 'E'];
/**
 * A short form for bars: grouped up to 9,999,999, then three significant
 * digits with a suffix (12.3M, 456G, 18.4E). Never wider than 9 columns.
 */
function compact(value) {
    if (value < 10000000n)
        return grouped(value);
    let unit = -1;
    let scaled = value;
    // scaled ends up in 1..999 units of 10^(3*(unit+1)); keep one more digit group for decimals.
    while (scaled >= 1000n) {
        scaled /= 1000n;
        unit++;
    }
    const divisor = 1000n ** BigInt(unit + 1);
    // Three significant digits, truncated (never rounds up past the true value).
    const decimals = scaled >= 100n ? 0 : scaled >= 10n ? 1 : 2;
    const tenths = (value * 10n ** BigInt(decimals)) / divisor;
    const text = tenths.toString();
    const body = decimals === 0 ? text : `${text.slice(0, -decimals)}.${text.slice(-decimals)}`;
    // 2^64-1 is 18.4E: unit never passes the last suffix.
    return body + (SUFFIXES[unit] ?? '');
}
/** spent/limit as a percentage with one decimal, truncated; `>999%` beyond. */
function percent(spent, limit) {
    const tenths = (spent * 1000n) / limit;
    if (tenths > 9999n)
        return '>999%';
    return `${tenths / 10n}.${tenths % 10n}%`;
}
/**
 * Display width of a string in a terminal: East Asian wide characters and
 * emoji take two columns, combining marks none.
 */
function displayWidth(text) {
    let width = 0;
    for (const ch of text)
        width += charWidth(ch.codePointAt(0) ?? 0);
    return width;
}
const COMBINING = /\p{M}/u;
function charWidth(cp) {
    if (cp < 0x300)
        return 1;
    if (COMBINING.test(String.fromCodePoint(cp)) || cp === 0x200b)
        return 0;
    if ((cp >= 0x1100 && cp <= 0x115f) ||
        (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
        (cp >= 0xac00 && cp <= 0xd7a3) ||
        (cp >= 0xf900 && cp <= 0xfaff) ||
        (cp >= 0xfe30 && cp <= 0xfe4f) ||
        (cp >= 0xff00 && cp <= 0xff60) ||
        (cp >= 0xffe0 && cp <= 0xffe6) ||
        (cp >= 0x1f300 && cp <= 0x1faff) ||
        (cp >= 0x20000 && cp <= 0x3fffd)) {
        return 2;
    }
    return 1;
}
/** Cuts text to at most `width` columns, ending with … when cut. */
function truncate(text, width) {
    if (displayWidth(text) <= width)
        return text;
    let out = '';
    let used = 0;
    for (const ch of text) {
        const w = charWidth(ch.codePointAt(0) ?? 0);
        if (used + w > width - 1)
            break;
        out += ch;
        used += w;
    }
    return out + '…';
}
/** Pads text on the right to `width` columns. */
function padEnd(text, width) {
    return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}
function padStart(text, width) {
    return ' '.repeat(Math.max(0, width - displayWidth(text))) + text;
}
/**
 * Escapes characters that a terminal could act on (C0/C1 controls, DEL),
 * and invisible direction and separator characters, as \uXXXX.
 */
function sanitize(text) {
    return text.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
/**
 * Splits text into at most `maxLines` pieces of at most `width` columns,
 * the last one cut with … when text remains.
 */
function wrap(text, width, maxLines) {
    const lines = [];
    let rest = text;
    while (rest.length > 0 && lines.length < maxLines - 1 && displayWidth(rest) > width) {
        let piece = '';
        let used = 0;
        for (const ch of rest) {
            const w = charWidth(ch.codePointAt(0) ?? 0);
            if (used + w > width)
                break;
            piece += ch;
            used += w;
        }
        // Prefer to break after a space when one is reasonably close to the end.
        const space = piece.lastIndexOf(' ');
        if (space > width / 2)
            piece = piece.slice(0, space + 1);
        lines.push(piece.trimEnd());
        rest = rest.slice(piece.length);
    }
    if (rest.length > 0)
        lines.push(truncate(rest, width));
    return lines;
}
/**
 * Renders the pretty table. Feed it every outcome with `step`, then call
 * `summary` once at the end.
 */
class PrettyPrinter {
    color;
    title;
    steps = 0;
    counts = { continue: 0, warn: 0, exhausted: 0, ok: 0, value: 0, error: 0, invalid: 0 };
    invalidLines = [];
    constructor(options) {
        this.color = options.color;
        this.title = options.title;
    }
    paint(text, style) {
        if (!this.color || style === undefined)
            return text;
        const [on, off] = SGR[style];
        return on + text + off;
    }
    rule() {
        return this.paint('─'.repeat(exports.WIDTH), 'dim') + '\n';
    }
    header() {
        const title = truncate(`budgetkernel replay · ${sanitize(this.title)}`, exports.WIDTH);
        const columns = padStart('#', 4) + '  ' + padStart('line', 4) + '  ' + padEnd('op', 10) + '  ' + 'detail';
        return this.paint(title, 'bold') + '\n' + this.rule() + this.paint(padEnd(columns, exports.WIDTH - 6) + 'result', 'dim') + '\n';
    }
    /** One step: its numbered line and, depending on the op, the lines under it. */
    step(outcome, replayer) {
        this.steps++;
        const [result, style] = this.result(outcome);
        const op = outcome.kind === 'invalid' ? '(invalid)' : outcome.op.op;
        const detail = outcome.kind === 'invalid' ? '' : describeOp(outcome.op);
        const room = Math.max(8, exports.WIDTH - PREFIX - 2 - displayWidth(result));
        let text = padStart(String(this.steps), 4) +
            '  ' +
            padStart(String(outcome.line), 4) +
            '  ' +
            padEnd(op, 10) +
            '  ' +
            padEnd(truncate(detail, room), room) +
            '  ' +
            this.paint(result, style) +
            '\n';
        if (replayer.note !== undefined) {
            text += INDENT + this.paint(truncate(sanitize(replayer.note), exports.WIDTH - INDENT.length), 'dim') + '\n';
        }
        if (outcome.kind === 'invalid') {
            for (const piece of wrap(sanitize(outcome.message), exports.WIDTH - INDENT.length, 2)) {
                text += INDENT + this.paint(piece, 'red') + '\n';
            }
        }
        else if (outcome.op.op === 'build') {
            for (const spec of outcome.op.limits) {
                const declare = (show) => `${padEnd(spec.dim, 8)} limit ${show(BigInt(spec.limit))}` +
                    (spec.warn === undefined ? '' : `, warn above ${show(BigInt(spec.warn))}`);
                let declared = declare(grouped);
                if (displayWidth(declared) > exports.WIDTH - INDENT.length)
                    declared = declare(compact);
                text += INDENT + declared + '\n';
            }
        }
        else if (outcome.kind === 'verdict') {
            text += this.bars(replayer);
        }
        return text;
    }
    /** The result column text and its colour. */
    result(outcome) {
        switch (outcome.kind) {
            case 'ok':
                this.counts.ok++;
                return ['ok', 'green'];
            case 'verdict': {
                const v = outcome.verdict;
                this.counts[v.kind]++;
                if (v.kind === 'continue')
                    return ['continue', 'green'];
                return [`${v.kind} ${v.dim}`, v.kind === 'warn' ? 'yellow' : 'red'];
            }
            case 'value':
                this.counts.value++;
                return [outcome.value === undefined ? 'undeclared' : `= ${grouped(outcome.value)}`, undefined];
            case 'error':
                this.counts.error++;
                return [outcome.dim === undefined ? outcome.code : `${outcome.code} ${outcome.dim}`, 'red'];
            case 'invalid':
                this.counts.invalid++;
                this.invalidLines.push(outcome.line);
                return ['INVALID_INPUT', 'red'];
        }
    }
    /** A bar per declared dimension of the current budget, in declaration order. */
    bars(replayer, indent = INDENT) {
        const budget = replayer.budget;
        if (budget === undefined)
            return '';
        let text = '';
        for (const spec of replayer.limits) {
            const spent = budget.spent(spec.dim) ?? 0n;
            text += indent + this.bar(spec, spent) + '\n';
        }
        return text;
    }
    bar(spec, spent) {
        const limit = BigInt(spec.limit);
        const warn = spec.warn === undefined ? undefined : BigInt(spec.warn);
        const over = spent > limit;
        const warned = !over && warn !== undefined && spent > warn;
        const style = over ? 'red' : warned ? 'yellow' : 'green';
        const capped = spent > limit ? limit : spent;
        let eighths = Number((capped * BigInt(BAR * 8)) / limit);
        if (eighths === 0 && spent > 0n)
            eighths = 1; // any spend stays visible
        const full = Math.floor(eighths / 8);
        const part = PARTIAL[eighths % 8] ?? '';
        const filled = '█'.repeat(full) + part;
        const used = full + (part === '' ? 0 : 1);
        // The warn threshold shows as a tick in the empty part of the bar.
        const tick = warn === undefined ? -1 : Number((warn * BigInt(BAR)) / limit);
        let empty = '';
        for (let cell = used; cell < BAR; cell++)
            empty += cell === tick ? '┊' : '░';
        const amounts = `${padStart(compact(spent), 9)} / ${padEnd(compact(limit), 9)}`;
        const tag = over ? '  over' : warned ? '  warn' : '';
        return (padEnd(spec.dim, 8) +
            this.paint(filled, style) +
            this.paint(empty, 'dim') +
            ' ' +
            amounts +
            padStart(percent(spent, limit), 6) +
            this.paint(tag, style));
    }
    summary(replayer) {
        const c = this.counts;
        const blank = replayer.lines - this.steps;
        const label = (name) => this.paint(padEnd(name, 10), 'bold');
        let text = this.rule();
        text += label('summary') + `${replayer.lines} lines · ${this.steps} operations · ${blank} blank · ${c.invalid} invalid\n`;
        const verdicts = [
            this.paint(`continue ${c.continue}`, c.continue > 0 ? 'green' : undefined),
            this.paint(`warn ${c.warn}`, c.warn > 0 ? 'yellow' : undefined),
            this.paint(`exhausted ${c.exhausted}`, c.exhausted > 0 ? 'red' : undefined),
        ].join(' · ');
        text += label('verdicts') + verdicts + '\n';
        text +=
            label('other') + `ok ${c.ok} · values ${c.value} · ` + this.paint(`errors ${c.error}`, c.error > 0 ? 'red' : undefined) + '\n';
        if (replayer.budget === undefined) {
            text += label('final') + 'no budget was built\n';
        }
        else {
            let first = true;
            for (const spec of replayer.limits) {
                const spent = replayer.budget.spent(spec.dim) ?? 0n;
                text += (first ? label('final') : ' '.repeat(10)) + '  ' + this.bar(spec, spent) + '\n';
                first = false;
            }
        }
        if (this.invalidLines.length > 0) {
            const shown = this.invalidLines.slice(0, 12).join(', ');
            const more = this.invalidLines.length > 12 ? `, … (${this.invalidLines.length - 12} more)` : '';
            text += label('invalid') + this.paint(truncate(`line ${shown}${more}`, exports.WIDTH - 10), 'red') + '\n';
        }
        const status = c.invalid > 0 ? 'exit status 1 (invalid lines)' : 'exit status 0';
        text += label('status') + status + '\n';
        return text;
    }
}
exports.PrettyPrinter = PrettyPrinter;
/** A short description of a validated operation for the detail column. */
function describeOp(op) {
    switch (op.op) {
        case 'build':
            return op.limits.length === 0 ? '(no dimensions)' : op.limits.map((l) => l.dim).join(', ');
        case 'charge':
            return `${op.dim} +${grouped(op.amount)}`;
        case 'chargeMany':
            return op.charges.length === 0 ? '(empty)' : op.charges.map(([dim, amount]) => `${dim} +${grouped(amount)}`).join(' · ');
        case 'spent':
        case 'remaining':
            return op.dim;
        case 'reset':
            return 'every spent counter to 0';
    }
}
