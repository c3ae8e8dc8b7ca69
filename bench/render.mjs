// @ts-check
/**
 * Re-renders bench/RESULTS.md and bench/results.svg from the last run's raw
 * figures (bench/.build/last-run.json, written by run.mjs) without measuring
 * again: for changing the report's layout, never its numbers.
 *
 * @module
 */

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { evaluateTargets, printReport, writeReport } from './report.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { info, results, gc, rust, pairs } = JSON.parse(readFileSync(join(here, '.build', 'last-run.json'), 'utf8'));
const targets = evaluateTargets(results, gc, pairs, rust);
printReport(info, results, targets, gc, rust, pairs);
writeReport(info, results, targets, gc, rust, pairs);
process.stderr.write('[bench] re-rendered bench/RESULTS.md and bench/results.svg from bench/.build/last-run.json\n');
