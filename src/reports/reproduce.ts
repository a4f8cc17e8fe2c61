import { hex } from '../engine/hex.js';
import type { ModelConfig } from '../engine/model.js';
import type { TraceEvent } from '../engine/trace.js';

/** What a counterexample is reproduced from: the policy as the user named it, and the trace. */
export interface Reproduction {
  readonly arch: string;
  readonly policy: string;
  /** The user's policy file, when the policy came from one. */
  readonly policyFile?: string;
  readonly config: ModelConfig;
  readonly invariant: string;
  readonly trace: readonly TraceEvent[];
  /** Where `--out` saved the trace, if it did. */
  readonly savedTo?: string;
}

/** A saved event as a TypeScript object literal; addresses and values in hex, as the report prints them. */
function eventLiteral(e: TraceEvent): string {
  const fields = Object.entries(e).map(([k, v]) => {
    const value = typeof v === 'number' ? (k === 'value' || k === 'addr' ? hex(v) : String(v)) : k === 'bps' ? addressList(v) : `'${v}'`;
    return `${k}: ${value}`;
  });
  return `{ ${fields.join(', ')} }`;
}

/** Userspace's breakpoint list (`bps: 'none'`, `'0x1000+0x2000'` in the trace) as the numbers it is: `[]`, `[0x1000, 0x2000]`. */
const addressList = (label: string): string =>
  /^(none|0x[0-9a-f]+(\+0x[0-9a-f]+)*)$/.test(label) ? `[${label === 'none' ? '' : label.split('+').join(', ')}]` : `'${label}'`;

/** How a test imports the policy file: relative, and `.ts` as `.js` (as TypeScript and vitest resolve it). */
const importPath = (file: string): string =>
  (/^(\.{1,2}\/|\/)/.test(file) ? file : `./${file}`).replace(/\.ts$/, '.js').replace(/\.mts$/, '.mjs');

/** `file.ts` imports its default export; `file.ts#name` (one export of several) that export. */
function importLine(address: string): string {
  const hash = address.lastIndexOf('#');
  const file = hash < 0 ? address : address.slice(0, hash);
  const name = hash < 0 ? 'default' : address.slice(hash + 1);
  const binding = name === 'default' ? 'policy' : `{ ${name} as policy }`;
  return `import ${binding} from '${importPath(file)}'; // relative to where the check ran`;
}

const configLiteral = (config: ModelConfig): string =>
  `{ ${Object.entries(config)
    // Option names with a dash (debug-abi, guest-step) are quoted: the block must compile as pasted.
    .map(([k, v]) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}: ${v}`)
    .join(', ')} }`;

/**
 * The counterexample as a vitest test to paste next to a patch (Hypothesis prints a failing case
 * as a short program): it fails while the policy still breaks the invariant on this trace.
 */
export function regressionTest(r: Reproduction): string[] {
  const subject = r.policyFile ? 'policy' : `'${r.arch}/${r.policy}'`;
  return [
    "import { it } from 'vitest';",
    "import { expectPolicy } from 'worldswitch/vitest';",
    ...(r.policyFile ? [importLine(r.policyFile)] : []),
    '',
    `it('${r.arch}/${r.policy} keeps ${r.invariant} on this trace', () => {`,
    `  expectPolicy(${subject}).toHoldOn(`,
    '    [',
    ...r.trace.map((e) => `      ${eventLiteral(e)},`),
    '    ],',
    `    { config: ${configLiteral(r.config)} },`,
    '  );',
    '});',
  ];
}

/** The report's closing lines: how to replay the saved trace, and the regression test. */
export function reproductionLines(r: Reproduction): string[] {
  const replay = r.savedTo
    ? `Replay the saved trace: npx worldswitch replay ${r.savedTo}`
    : 'Save the trace with --out trace.json, then: npx worldswitch replay trace.json';
  return [replay, '', 'As a regression test (vitest):', ...regressionTest(r)];
}
