/** The policies `check` and `explore` run on, once every flag that depends on them is checked. */
import type { KnownFailure } from '../searches/triage.js';
import type { Catalog } from './catalog.js';
import type { Io } from './io.js';
import { checkDestinations, checkSavesOne } from './save-file.js';
import { checkInvariantsApply, checkModelFlags, inScope, noteUncalledHooks, type Selected, selectAll } from './selection.js';
import { warnUnmatchedKnown } from './triage-flags.js';

/**
 * Checks `--out`/`--html` destinations, loads the selected policies, then checks what depends on
 * them: model flags that apply and policies that model their values, `--invariant` names that apply, `--assume-fixed` traces of another
 * architecture (a warning), and `--out`/`--html` naming one policy.
 */
export async function selectForRun(
  args: readonly string[],
  flags: Readonly<Record<string, unknown>> & { readonly out?: string; readonly html?: string; readonly hookTimeout?: number },
  catalog: Catalog,
  names: readonly string[],
  known: readonly KnownFailure[],
  io: Io,
): Promise<Selected[]> {
  checkDestinations(flags);
  const all = await selectAll(args, catalog, flags.hookTimeout);
  checkModelFlags(all, flags, catalog);
  const selected = inScope(all, flags, io);
  checkInvariantsApply(names, selected, catalog, flags);
  noteUncalledHooks(selected, flags, io);
  warnUnmatchedKnown(
    known,
    selected.map((s) => s.arch.id),
    io,
  );
  checkSavesOne(selected, flags);
  return selected;
}
