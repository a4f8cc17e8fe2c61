#!/usr/bin/env node
// The CLI runs the compiled JavaScript that `npm ci` builds (the "prepare" script).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/src/cli/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('worldswitch: not built yet; run `npm run build` (npm ci does it for you).\n');
  process.exit(2);
}
// A signal while the modules load (a second or more on a loaded machine) ends the process with the
// same message and exit code as one during a run, not by the signal's default action. `run` takes
// over signals as it starts.
const early = (signal) => {
  process.stderr.write(`worldswitch: stopped by ${signal} while starting\n`);
  process.exit(signal === 'SIGINT' ? 130 : 143);
};
process.on('SIGINT', early);
process.on('SIGTERM', early);
const { run } = await import(cli.href);
process.off('SIGINT', early);
process.off('SIGTERM', early);
await run();
