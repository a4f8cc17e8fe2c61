/**
 * Self-hosted trace as the architecture-neutral invariants see it: the host's trace session on each
 * CPU (ghost: what perf asked for), and which levels the hardware traces right now for each world.
 */

/** Ghost session bit: the session excludes guest code (perf exclude_guest). */
export const TRACE_EXCLUDE_GUEST = 1 << 0;
/** Ghost session bit: the session excludes host code (perf exclude_host). */
export const TRACE_EXCLUDE_HOST = 1 << 1;
/** The ghost session word before any session starts, and after one stops: nothing may be traced. */
export const TRACE_NO_SESSION = TRACE_EXCLUDE_GUEST | TRACE_EXCLUDE_HOST;

/** What a model with trace filtering tells the `trace-filter-honored` invariant. */
export interface TraceView {
  /** Index, among the model's per-CPU ghost words, of the session word (TRACE_* bits). */
  readonly sessionGhost: number;
  /** The register the host's trace driver programs for host code: its intent's step stamp dates the session. */
  readonly hostFilterReg: number;
  /** The register that filters guest code (named in findings). */
  readonly guestFilterReg: number;
  /** The exception level host kernel code runs at (1, or 2 on a VHE host), for findings: level 1 of the host view. */
  readonly hostKernelEl: number;
  /** Bitmask (bit `1 << level`) of the levels at which host code (`guest` false) or guest code is traced, given register file `r` at `o`. */
  traced(r: Float64Array, o: number, guest: boolean): number;
}
