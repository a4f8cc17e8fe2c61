#!/usr/bin/env node
// The CLI runs the compiled JavaScript that `npm ci` builds (the "prepare" script).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/src/cli/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('worldswitch: not built yet; run `npm run build` (npm ci does it for you).\n');
  process.exit(2);
}
const { run } = await import(cli.href);
await run();
