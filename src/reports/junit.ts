/**
 * JUnit XML (`--junit FILE`), the shape Jenkins, GitLab, GitHub test reporters and Azure read:
 * `<testsuites>` of `<testsuite>` of `<testcase>`, a failing case carrying `<failure>` (the
 * policy is wrong) or `<error>` (the checker crashed), with the report text inside.
 */

/** One test case: a policy × invariant set (check, explore, merge) or a trace file (replay). */
export interface JunitCase {
  readonly name: string;
  readonly classname: string;
  readonly seconds: number;
  /** Absent for a passing case. */
  readonly outcome?: {
    readonly kind: 'failure' | 'error';
    /** The broken invariant, `diverged`, or `crashed`. */
    readonly type: string;
    readonly message: string;
    /** The full text report: counterexample, replay command, regression test. */
    readonly text: string;
  };
  readonly properties?: Readonly<Record<string, string | number>>;
}

/** A test suite: one command's results (`worldswitch check`, …). */
export interface JunitSuite {
  readonly name: string;
  readonly cases: readonly JunitCase[];
}

// XML 1.0 forbids most control characters even when escaped: drop them.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters XML cannot carry
const INVALID = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

/** Escapes text for an XML attribute value or element content. */
export const xmlEscape = (s: string): string =>
  s.replace(INVALID, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

const attrs = (a: Record<string, string | number>): string =>
  Object.entries(a)
    .map(([k, v]) => ` ${k}="${xmlEscape(String(v))}"`)
    .join('');

const seconds = (s: number): string => s.toFixed(3);

const count = (cases: readonly JunitCase[], kind: 'failure' | 'error'): number => cases.filter((c) => c.outcome?.kind === kind).length;

const totals = (cases: readonly JunitCase[]) => ({
  tests: cases.length,
  failures: count(cases, 'failure'),
  errors: count(cases, 'error'),
  skipped: 0,
  time: seconds(cases.reduce((t, c) => t + c.seconds, 0)),
});

function testcase(c: JunitCase): string[] {
  const open = `    <testcase${attrs({ name: c.name, classname: c.classname, time: seconds(c.seconds) })}`;
  const props = Object.entries(c.properties ?? {});
  if (!c.outcome && props.length === 0) return [`${open}/>`];
  const lines = [`${open}>`];
  if (props.length > 0) {
    lines.push('      <properties>');
    for (const [name, value] of props) lines.push(`        <property${attrs({ name, value })}/>`);
    lines.push('      </properties>');
  }
  if (c.outcome) {
    const { kind, type, message, text } = c.outcome;
    lines.push(`      <${kind}${attrs({ message, type })}>${xmlEscape(text)}</${kind}>`);
  }
  lines.push('    </testcase>');
  return lines;
}

/** The JUnit XML document for `suites`. */
export function renderJunit(suites: readonly JunitSuite[]): string {
  const all = suites.flatMap((s) => s.cases);
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites${attrs({ name: 'worldswitch', ...totals(all) })}>`];
  for (const s of suites) {
    lines.push(`  <testsuite${attrs({ name: s.name, ...totals(s.cases) })}>`);
    for (const c of s.cases) lines.push(...testcase(c));
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}
