// @ts-check
/**
 * Re-renders bench/RESULTS.md and bench/results.svg from the last run's raw
 * figures (bench/.build/last-run.json, written by run.mjs) without measuring
 * again: for changing the report's layout, never its numbers.
 *
 * Usage: `node bench/render.mjs [--note "text"]`.
 *
 * @module
 */

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { evaluateTargets, printReport, writeReport } from './report.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { info, results, gc, rust, pairs } = JSON.parse(readFileSync(join(here, '.build', 'last-run.json'), 'utf8'));
// `--note "text"` adds a reviewer's note to the report (e.g. why a stale
// build flag does not matter); it never changes a figure.
const noteAt = process.argv.indexOf('--note');
if (noteAt > 0 && process.argv[noteAt + 1] !== undefined) info.note = process.argv[noteAt + 1];
const targets = evaluateTargets(results, gc, pairs, rust);
printReport(info, results, targets, gc, rust, pairs);
writeReport(info, results, targets, gc, rust, pairs);
process.stderr.write('[bench] re-rendered bench/RESULTS.md and bench/results.svg from bench/.build/last-run.json\n');
