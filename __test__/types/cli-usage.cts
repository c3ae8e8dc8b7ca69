// Pulls the CLI's modules into the type-check of tsconfig.cli.json, the way
// a TypeScript user of the in-process replay would.

import replay = require('../../cli/replay.js')

const result: { output: string; status: 0 | 1 } = replay.replayText('{"op":"reset"}\n')
const status: number = result.status
export = { status }
