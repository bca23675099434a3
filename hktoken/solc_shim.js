#!/usr/bin/env node
// A solc-compatible command line over the official wasm compiler (npm "solc"), so py-solc-x can
// drive it exactly like a native solc: `--version` and `--standard-json` (JSON on stdin, JSON on stdout).
// The npm package's own `solcjs` CLI prints a banner on stdout in --standard-json mode, which breaks
// py-solc-x's JSON parsing; hence this shim. HKTOKEN_SOLCJS names the solc module directory.
'use strict';
const fs = require('fs');
const path = require('path');

const solc = require(process.env.HKTOKEN_SOLCJS || 'solc');
const args = process.argv.slice(2);

function optionValues(name) {
  const values = [];
  args.forEach((arg, i) => {
    if (arg === name && i + 1 < args.length) values.push(args[i + 1]);
  });
  return values;
}

if (args.includes('--version')) {
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
} else if (args.includes('--standard-json')) {
  const roots = [...optionValues('--base-path'), ...optionValues('--include-path'), process.cwd()];
  const findImports = (sourceName) => {
    for (const root of roots) {
      const file = path.resolve(root, sourceName);
      if (fs.existsSync(file)) return { contents: fs.readFileSync(file, 'utf8') };
    }
    return { error: `File not found: ${sourceName}` };
  };
  const chunks = [];
  process.stdin.on('data', (chunk) => chunks.push(chunk));
  process.stdin.on('end', () => {
    // Never process.exit() here: it would cut a large output at the pipe buffer (64 KiB).
    process.stdout.write(solc.compile(Buffer.concat(chunks).toString('utf8'), { import: findImports }));
    process.exitCode = 0;
  });
} else {
  process.stderr.write(`unrecognised option: ${args.join(' ')}\n`);
  process.exitCode = 2;
}
