#!/usr/bin/env node
'use strict';
// Entry of the `kanbench` command: loads the bundled CLI (built by `npm run build`, which `npm ci` runs via `prepare`).
const path = require('node:path');
const fs = require('node:fs');
const { pathToFileURL } = require('node:url');

const cli = path.join(__dirname, '..', 'dist', 'main', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write('kanbench: the CLI is not built yet; run `npm run build` in the KAN Workbench folder first\n');
  process.exit(2);
}
import(pathToFileURL(cli).href).then((m) => m.main(process.argv.slice(2))).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`kanbench: ${err && err.message ? err.message : err}\n`); process.exitCode = 1; },
);
