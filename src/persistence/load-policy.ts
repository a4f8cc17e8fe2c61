import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { errorMessage } from '../engine/describe-thrown.js';
import { describeError } from '../engine/executor-types.js';
import { isPolicy, type Policy, PolicyError, validateDefinition } from '../engine/policy.js';
import { guardProcessEnds } from '../engine/process-ends.js';
import { checkInputFile } from './input-file.js';
import { UsageError } from './usage-error.js';

/** A policy a file exports, and the export it came from (`default`, or a named export). */
export interface LoadedPolicy {
  readonly policy: Policy;
  readonly exportName: string;
}

/**
 * Splits a policy-file address `file.ts#exportName` into the file and the export (absent: every
 * policy the file exports). `#` after a script extension is an export name, so a file exporting a
 * VMX and an SVM variant needs no wrapper file to check one of them. An empty or malformed name
 * after the `#` is a usage error (unless the whole address is an existing file's name).
 */
export function splitPolicyAddress(address: string): { file: string; exportName?: string } {
  const m = /^(.*\.(?:ts|mts|cts|js|mjs|cjs))#([^#/\\]*)$/.exec(address);
  if (!m || existsSync(address)) return { file: address };
  const [, file, exportName] = m as unknown as [string, string, string];
  if (exportName === '')
    throw new UsageError(`${address}: the export name after '#' is empty; name an export (${file}#default, say) or drop the '#'.`);
  if (!/^[A-Za-z_$][\w$]*$/.test(exportName))
    throw new UsageError(`${address}: "${exportName}" after '#' is not an export name (a JavaScript identifier).`);
  return { file, exportName };
}

/** One line from a module's load error: esbuild's `file:line:col: ERROR: message` when it has one. */
function loadErrorLine(e: unknown): string {
  // A thrown value that is no Error (`throw Object.create(null)`), or an Error whose message is a
  // getter, can only come from the module's own code: described without running any of it.
  const message = errorMessage(e);
  if (message === undefined) return `its top-level code threw ${describeError(e)}`;
  const located = /^(.+:\d+:\d+): (?:ERROR: )?(.*)$/m.exec(message);
  if (/^Transform failed/.test(message) && located) return `${located[1]}: ${located[2]}`;
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * Loads the policies a user's file exports (default and named exports made by `definePolicy`),
 * with the export each came from. TypeScript files are loaded through tsx, so
 * `npx worldswitch check ./my-policy.ts` needs no build. `file.ts#name` loads only export `name`.
 * Every export that claims to be a policy is validated (exit 2 naming what is wrong), and two
 * exports with the same arch and name are refused (the worker finds a policy by its export, but a
 * report names it by its name: two rows "twin held" would not say which one held).
 */
export async function loadPolicyFile(address: string): Promise<LoadedPolicy[]> {
  const { file, exportName } = splitPolicyAddress(address);
  const path = resolve(file);
  checkInputFile(file, 'Policy file');
  let module: Record<string, unknown>;
  try {
    if (/\.[mc]?ts$/.test(path)) {
      const { tsImport } = await import('tsx/esm/api');
      module = (await tsImport(pathToFileURL(path).href, import.meta.url)) as Record<string, unknown>;
    } else {
      module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
    }
  } catch (e) {
    throw new UsageError(`Cannot load policy file ${file}: ${loadErrorLine(e)}`);
  }
  const found: LoadedPolicy[] = [];
  const seen = new Set<unknown>();
  const take = (name: string, value: unknown): void => {
    if (seen.has(value)) return;
    seen.add(value);
    try {
      validateDefinition(value);
    } catch (e) {
      if (e instanceof PolicyError) throw new UsageError(`${file}: export "${name}" is not a valid policy: ${e.message}`);
      throw e;
    }
    found.push({ policy: value as Policy, exportName: name });
  };
  for (const [name, value] of Object.entries(module)) {
    try {
      if (isPolicy(value)) take(name, value);
      // tsx may wrap a CommonJS-style default export once more.
      else if (typeof value === 'object' && value !== null && isPolicy((value as { default?: unknown }).default)) {
        take(name, (value as { default: unknown }).default);
      }
    } catch (e) {
      // A Proxy, a getter that throws: the export cannot even be looked at.
      if (e instanceof UsageError) throw e;
      throw new UsageError(`Cannot load policy file ${file}: reading its export "${name}" threw ${describeError(e)}`);
    }
  }
  if (found.length === 0)
    throw new UsageError(`Policy file ${file} exports no policy: export default definePolicy({ name, arch, summary, hooks }).`);
  if (exportName !== undefined) {
    const one = found.filter((f) => f.exportName === exportName);
    if (one.length === 0) {
      throw new UsageError(
        `Policy file ${file} has no policy export "${exportName}". Its policy exports: ${found.map((f) => f.exportName).join(', ')}.`,
      );
    }
    return one;
  }
  for (const [i, a] of found.entries()) {
    const b = found.slice(i + 1).find((f) => f.policy.name === a.policy.name && f.policy.arch === a.policy.arch);
    if (b) {
      throw new UsageError(
        `Policy file ${file} exports two policies named "${a.policy.name}" for ${a.policy.arch}: export "${a.exportName}" and export "${b.exportName}"; rename one, or pick one with ${file}#${a.exportName}.`,
      );
    }
  }
  return found;
}

/** The least time loading a policy file may take before it counts as looping. */
export const LOAD_TIMEOUT_FLOOR_MS = 5000;

/**
 * Loads `address` in a worker thread first, under a watchdog: a policy module whose top-level code
 * never finishes (or ends the process) must not hang the command that imports it. Resolves once
 * the module loaded (the caller then imports it itself); a load error is thrown as a UsageError.
 */
export async function probePolicyFile(address: string, timeoutMs: number): Promise<void> {
  const { file } = splitPolicyAddress(address);
  checkInputFile(file, 'Policy file'); // a FIFO would block the import, here and in loadPolicyFile
  const self = JSON.stringify(import.meta.url);
  const code = import.meta.url.endsWith('.ts')
    ? `import('tsx/esm/api').then((m) => m.tsImport(${self}, ${self})).then((m) => m.probeMain());`
    : `import(${self}).then((m) => m.probeMain());`;
  const worker = new Worker(code, { eval: true, workerData: { worldswitchProbe: address }, stdout: true, stderr: true });
  await new Promise<void>((done, fail) => {
    let settled = false;
    const settle = (error?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      if (error === undefined) done();
      else fail(new UsageError(error));
    };
    // The watchdog starts once the worker itself is up (tsx loaded), and allows at least
    // LOAD_TIMEOUT_FLOOR_MS: compiling a TypeScript module and its imports takes a while on a busy machine.
    const limit = Math.max(timeoutMs, LOAD_TIMEOUT_FLOOR_MS);
    let timer: NodeJS.Timeout | undefined;
    worker.on('message', (m: { importing?: boolean; ok?: boolean; error?: string }) => {
      if (m.importing) {
        timer = setTimeout(
          () => settle(`Policy file ${file} did not finish loading within ${limit / 1000} s: its top-level code does not terminate.`),
          limit,
        );
      } else settle(m.ok ? undefined : (m.error ?? 'unknown load error'));
    });
    worker.once('error', (e) => settle(`Cannot load policy file ${file}: ${loadErrorLine(e)}`));
    worker.once('exit', (code) => settle(`Policy file ${file} ended the process (exit ${code}) while loading.`));
  });
}

/** The worker side of `probePolicyFile`. */
export async function probeMain(): Promise<void> {
  const address = (workerData as { worldswitchProbe: string }).worldswitchProbe;
  const guard = guardProcessEnds((call, arg) => new Error(`called ${call}(${arg ?? ''}) while loading`));
  try {
    if (/\.[mc]?ts(#|$)/.test(address)) await import('tsx/esm/api');
    parentPort?.postMessage({ importing: true });
    await loadPolicyFile(address);
    parentPort?.postMessage({ ok: true });
  } catch (e) {
    const error = e instanceof UsageError ? e.message : `Cannot load policy file ${address}: ${loadErrorLine(e)}`;
    parentPort?.postMessage({ error });
  } finally {
    guard.restore();
  }
}
