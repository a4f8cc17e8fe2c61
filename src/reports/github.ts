/**
 * GitHub Actions workflow commands (`::error file=…,line=…::…`): an annotation on the run's
 * summary and, when the file is in the repository, on the line of the pull request's diff.
 */

/** One annotation: the policy file and the line of the hook that broke, when known. */
export interface Annotation {
  readonly title: string;
  readonly message: string;
  readonly file?: string;
  readonly line?: number;
}

// The runner's escaping: data %, CR, LF; properties also ":" and ",".
const data = (s: string): string => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const property = (s: string): string => data(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** The `::error` line for `a`. */
export function errorCommand(a: Annotation): string {
  const props = [...(a.file ? [`file=${property(a.file)}`] : []), ...(a.line ? [`line=${a.line}`] : []), `title=${property(a.title)}`];
  return `::error ${props.join(',')}::${data(a.message)}\n`;
}

/** The hook each generated event runs first (DESIGN §3–4). */
const EVENT_HOOK: Readonly<Record<string, string>> = {
  VCPU_LOAD: 'vcpuLoad',
  VCPU_PUT: 'vcpuPut',
  GUEST_ENTER: 'guestEnter',
  GUEST_EXIT: 'guestExit',
  GUEST_READ: 'trap',
  GUEST_WRITE: 'trap',
  VMM_GET_REG: 'getReg',
  VMM_SET_REG: 'setReg',
  VMM_SET_GUEST_DEBUG: 'setGuestDebug',
  VCPU_RESET: 'vcpuReset',
};

/**
 * The hook to point at: the one a violation's observation point names (`in guestEnter, after
 * hardware write #2` → `guestEnter`), else the one the failing step's event ran (`GUEST_EXIT` →
 * `guestExit`, for a violation seen after the event).
 */
export const hookOf = (at: string | undefined, event?: string): string | undefined =>
  /\bin (\w+)/.exec(at ?? '')?.[1] ?? (event ? EVENT_HOOK[event] : undefined);

/**
 * The 1-based line where `source` defines `hook` (`guestEnter(k) {`, `guestEnter: (k) =>`,
 * `function guestEnter(`), or undefined. A text search, not a parse: good enough to point a
 * reviewer at the hook, and never wrong about the file.
 */
export function hookLine(source: string, hook: string): number | undefined {
  const def = new RegExp(`(?:^|[\\s{,])(?:function\\s+|async\\s+)?${hook}\\s*(?:\\(|:|=)`);
  const index = source.split('\n').findIndex((l) => def.test(l));
  return index < 0 ? undefined : index + 1;
}
