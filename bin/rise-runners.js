#!/usr/bin/env node
// The installed `rise-runners` command: runs the compiled CLI (build first with `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write('rise-runners: dist/cli/main.js is missing; run `npm run build` first\n');
  process.exit(2);
}
await import(main.href);
