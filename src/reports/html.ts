import type { Executor, Warning } from '../engine/execute.js';
import type { Violation } from '../engine/invariant.js';
import { fieldsOf, hexWithFields } from '../engine/register-fields.js';
import type { TraceEvent } from '../engine/trace.js';
import { CONTEXT_NAMES, type World } from '../engine/world.js';
import type { Change } from './diff.js';
import type { AccessLine } from './inside-hook.js';
import { configText } from './text.js';
import { type StepView, type TraceView, viewTrace } from './trace-view.js';

/** What the HTML view shows: a counterexample (or a clean trace), its title, and how to reproduce it. */
export interface HtmlTrace {
  readonly title: string;
  readonly trace: readonly TraceEvent[];
  readonly violation: Violation | undefined;
  readonly warnings: readonly Warning[];
  /** The last step's hook never returned: that step is shown but not re-executed. */
  readonly hung?: boolean;
  /** The command that reproduces the report, and the trace as a vitest test. */
  readonly reproduce?: { readonly command: string; readonly test: readonly string[] };
  /** The trace already re-executed and described (`viewTraceInSlices`): not done again. */
  readonly view?: TraceView;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

/** The parts of each CPU's lanes, left to right: who runs (host, hypervisor, guest), then its registers. */
const PARTS = [...CONTEXT_NAMES, 'hw'] as const;
const PART_TITLES: Record<string, string> = { host: 'host', hyp: 'hyp', guest: 'guest', hw: 'registers' };
const lane = (cpu: number, part: string): string => (cpu < 0 ? 'userspace' : `cpu${cpu}-${part}`);

/** The CPU a vCPU is on around a step: before it, or else after it; -1 for none. */
const cpuOfVcpu = (v: number, before: World | undefined, after: World | undefined): number => {
  const at = (w: World | undefined): number => (w ? (w.loadedOn[v] as number) : -1);
  return at(before) >= 0 ? at(before) : at(after);
};

/** The CPU an event concerns: its `cpu` operand, or where its vCPU is (or becomes) loaded; -1 for none. */
function cpuOf(e: TraceEvent, before: World | undefined, after: World | undefined): number {
  if (typeof e.cpu === 'number') return e.cpu;
  return typeof e.vcpu === 'number' ? cpuOfVcpu(e.vcpu, before, after) : -1;
}

/** The lane an event starts in, from who raises it (DESIGN §4): userspace, host code, the hypervisor, or the guest. */
function actorLane(s: StepView): string {
  const e = s.event.event;
  const cpu = cpuOf(s.event, s.before, s.after);
  if (e.startsWith('VMM_') || cpu < 0) return 'userspace';
  if (e.startsWith('HYP_')) return lane(cpu, 'hyp');
  const guest = (e.startsWith('GUEST_') && e !== 'GUEST_ENTER') || e === 'FASTPATH_EXIT';
  return lane(cpu, guest ? 'guest' : 'host');
}

/**
 * The lane a change belongs to: a CPU's hardware under that CPU's registers; the host's per-CPU
 * memory and intent under its host; a vCPU's memory under the hypervisor of the CPU it is on, its
 * guest intent under that guest (userspace's lane while the vCPU is on no CPU); userspace's ghost state under userspace.
 */
function changeLane(name: string, s: StepView): string {
  const cpu =
    /^cpu(\d+)\./.exec(name) ?? /^host(\d+)\./.exec(name) ?? /^hostIntent\[cpu(\d+)\]/.exec(name) ?? /^ghost\.cpu(\d+)\./.exec(name);
  if (cpu) return lane(Number(cpu[1]), name.startsWith('cpu') ? 'hw' : 'host');
  const vcpu = /^vcpu(\d+)/.exec(name) ?? /^guestIntent\[vcpu(\d+)\]/.exec(name);
  if (vcpu) {
    const on = cpuOfVcpu(Number(vcpu[1]), s.before, s.after);
    return lane(on, name.startsWith('guestIntent') ? 'guest' : 'hyp');
  }
  return 'userspace';
}

/** Each CPU whose context changed in the step: the switch as lane parts (0 host, 1 hyp, 2 guest). */
function switches(s: StepView): { cpu: number; from: number; to: number }[] {
  const out: { cpu: number; from: number; to: number }[] = [];
  if (!s.before || !s.after) return out;
  for (let c = 0; c < s.before.shape.cpus; c++) {
    const from = s.before.cpuContext[c] as number;
    const to = s.after.cpuContext[c] as number;
    if (from !== to) out.push({ cpu: c, from, to });
  }
  return out;
}

const isGuestCode = (e: string): boolean => e === 'GUEST_EXECUTE' || e === 'GUEST_ACCESS';

/** The lanes the trace uses: where events start, world switches pass, changes land and exceptions go. */
function usedLanes(steps: readonly StepView[], v: Violation | undefined): Set<string> {
  const used = new Set<string>();
  for (const s of steps) {
    used.add(actorLane(s));
    for (const w of switches(s))
      for (let k = Math.min(w.from, w.to); k <= Math.max(w.from, w.to); k++) used.add(lane(w.cpu, PARTS[k] as string));
    for (const c of s.changes) used.add(changeLane(c.name, s));
    if (s.deliveries.includes('vmm')) used.add('userspace');
  }
  if (v?.cpu !== undefined) used.add(lane(v.cpu, 'hw'));
  return used;
}

/** An arrow across lanes in one step's row: a world switch, or a debug exception routed to userspace. */
interface Arrow {
  readonly from: string;
  readonly to: string;
  readonly label: string;
  readonly exception: boolean;
}

/** The step's arrows: one per CPU that changed world (a debug exception when guest code caused it), one per exception routed to userspace. */
function arrows(s: StepView): Arrow[] {
  const out: Arrow[] = [];
  for (const w of switches(s)) {
    const cause = isGuestCode(s.event.event) && w.from === 2 ? 'debug exception: ' : '';
    const label = `${cause}${CONTEXT_NAMES[w.from]} \u2192 ${CONTEXT_NAMES[w.to]}`;
    out.push({ from: lane(w.cpu, PARTS[w.from] as string), to: lane(w.cpu, PARTS[w.to] as string), label, exception: false });
  }
  for (const to of s.deliveries) {
    if (to !== 'vmm') continue;
    const cpu = cpuOf(s.event, s.before, s.after);
    out.push({ from: lane(cpu, 'guest'), to: 'userspace', label: 'debug exception \u2192 userspace', exception: true });
  }
  return out;
}

/**
 * The event row's cells: one track per arrow, level across lanes (a segment where the arrow passes,
 * its head and label in the lane it ends in), then the event box in the lane that raised it.
 */
function eventCells(s: StepView, lanes: readonly string[]): string {
  const list = arrows(s);
  const actor = actorLane(s);
  return lanes
    .map((l, i) => {
      const tracks = list.map((a) => {
        const from = lanes.indexOf(a.from);
        const to = lanes.indexOf(a.to);
        if (i < Math.min(from, to) || i > Math.max(from, to)) return '<div class="track"></div>';
        const dir = to > from ? 'right' : 'left';
        const cls = `switch ${dir}${a.exception ? ' exception' : ''}${i === from ? ' start' : ''}${i === to ? ' end' : ''}`;
        return `<div class="track"><div class="${cls}" title="${esc(a.label)}"></div></div>`;
      });
      const labels = list
        .filter((a) => a.to === l)
        .map((a) => `<span class="label${a.exception ? ' exception' : ''}">${esc(a.label)}</span>`);
      const box = l === actor ? `<div class="box" title="${esc(s.text)}">${esc(s.event.event)}</div>` : '';
      return `<td class="lane" data-lane="${l}">${tracks.join('')}${labels.join('')}${box}</td>`;
    })
    .join('');
}

/** The detail row's cells: each change under the lane it belongs to; the violated register's changes marked. */
function changeCells(s: StepView, lanes: readonly string[], v: Violation | undefined): string {
  const isHot = (name: string): boolean =>
    v?.register !== undefined && (v.cpu === undefined ? name.endsWith(`.${v.register}`) : name === `cpu${v.cpu}.${v.register}`);
  const byLane = new Map<string, Change[]>(lanes.map((l) => [l, []]));
  for (const c of s.changes) byLane.get(changeLane(c.name, s))?.push(c);
  return lanes
    .map((l) => {
      const items = (byLane.get(l) ?? []).map(
        (c) =>
          `<li class="change${isHot(c.name) ? ' hot' : ''}" data-lane="${l}"><code>${esc(c.name)}</code>: ${esc(c.from)} &rarr; <b>${esc(c.to)}</b></li>`,
      );
      return `<td class="lane" data-lane="${l}">${items.length ? `<ul class="changes">${items.join('')}</ul>` : ''}</td>`;
    })
    .join('');
}

/** The hooks' accesses of the failing step, numbered as the observation point counts writes. */
function accessList(lines: readonly AccessLine[], v: Violation): string {
  if (lines.length === 0) return `<p class="none">No policy hook ran in step ${v.step}.</p>`;
  const items = lines.map((l) => {
    const head = l.kind === 'hook' || l.kind === 'resume';
    return `<li class="${head ? 'hook' : 'access'}${l.broke ? ' broke' : ''}"><span class="n">${esc(l.number)}</span> <code>${esc(l.text)}</code>${l.broke ? ` <b>&#9888; ${esc(v.invariant)} broke here</b>` : ''}</li>`;
  });
  return `<h3>Inside step ${v.step}: each hook's hardware accesses</h3><ul class="accesses">${items.join('')}</ul>`;
}

/** The finding: the observation point, the expected versus actual value decoded, the live gate registers, the hook's accesses. */
function findingBox(x: Executor, v: Violation, gates: readonly string[], accesses: readonly AccessLine[]): string {
  const f = v.register === undefined ? undefined : fieldsOf(x.model.fields, v.register);
  const rows =
    v.register !== undefined && v.expected !== undefined && v.actual !== undefined
      ? `<table class="cmp"><tr><th>register</th><td><code>${esc(v.register)}</code></td></tr><tr><th>expected</th><td class="expected">${esc(hexWithFields(f, v.expected))}</td></tr><tr><th>actual</th><td class="actual">${esc(hexWithFields(f, v.actual))}</td></tr><tr><th>expected since</th><td>${v.setAt === 0 ? 'the initial state' : `step ${v.setAt ?? '?'}`}</td></tr></table>`
      : '';
  const live = gates.length ? `<ul class="gates">${gates.map((g) => `<li><code>${esc(g)}</code></li>`).join('')}</ul>` : '';
  return `<div id="violation" class="violation"><h2>${esc(v.invariant)} broke at <a href="#step-${v.step}">step ${v.step}</a></h2><p class="at">observation point: <b>${esc(v.at)}</b></p><p>${esc(v.message)}</p>${rows}${live}${accessList(accesses, v)}</div>`;
}

const LEGEND = `<details class="legend" open><summary>Legend</summary><ul>
<li><b>userspace</b>: the VMM (KVM_SET_ONE_REG, KVM_SET_GUEST_DEBUG) and its debug state; <b>host</b>, <b>hyp</b>, <b>guest</b>: who runs on the CPU (host kernel, the world switch, the guest); <b>registers</b>: that CPU's hardware. Lanes the trace never uses are left out.</li>
<li><span class="box">EVENT</span> an event in the lane that raised it; <span class="switch-key">&rarr;</span> a world switch on that CPU (a debug exception when guest code caused it); <span class="exception-key">&larr;</span> a debug exception routed to userspace.</li>
<li>Under each step, the values that changed, in the lane they belong to: <code>cpuN.REG</code> hardware; <code>vcpuN.area.REG</code> and <code>vcpuN.word</code> the hypervisor's memory for the vCPU (under hyp); <code>hostN.…</code> the host's per-CPU save area; <code>hostIntent</code>, <code>guestIntent</code> what the host's debug users and the guest asked for (the specification the invariants compare with); <code>ghost.…</code> more of it. Values are hex with their fields decoded.</li>
<li class="hot">The violated register's changes are marked like this; the failing step is red. Click a step, or its &#9662; button, to fold its changes.</li></ul></details>`;

const STYLE = `*{box-sizing:border-box}body{font:14px/1.4 system-ui,sans-serif;margin:0;padding:1em;color:#222;overflow-x:hidden}code,.box,.changes,pre{font-family:ui-monospace,monospace}
.layout{display:grid;grid-template-columns:minmax(0,1fr) 24rem;gap:1em;align-items:start}aside{position:sticky;top:0;max-height:100vh;overflow:auto}
@media (max-width:900px){.layout{grid-template-columns:minmax(0,1fr)}aside{position:static;max-height:none}}
h1{font-size:1.3em;margin:.2em 0;overflow-wrap:anywhere}h2{font-size:1.1em;margin:.2em 0}h3{font-size:1em;margin:.6em 0 .2em}
table.seq{border-collapse:collapse;width:100%;table-layout:fixed}table.seq th{position:sticky;top:0;background:#f4f4f4;font-weight:600;padding:.3em;border-bottom:2px solid #999;overflow-wrap:anywhere}
table.seq thead tr.parts th{top:1.9em}th.num,td.num{width:4.2em}
td.lane{border-left:1px dashed #bbb;padding:.2em .3em;vertical-align:top;text-align:center;overflow-wrap:anywhere}td.num{font-weight:600;vertical-align:top;white-space:nowrap}
.box{display:inline-block;max-width:100%;overflow-wrap:anywhere;border:1px solid #557;background:#eef;border-radius:3px;padding:0 .3em}
.track{position:relative;height:.9em}.switch{position:absolute;top:.4em;left:-.3em;right:-.3em;border-top:2px solid #063}
.switch.right.start,.switch.left.end{left:50%}.switch.left.start,.switch.right.end{right:50%}.switch.exception{border-top-style:dashed;border-top-color:#a40}
.switch.end.right::after{content:'';position:absolute;right:-2px;top:-7px;border:6px solid transparent;border-left:9px solid #063;border-right:0}
.switch.end.left::after{content:'';position:absolute;left:-2px;top:-7px;border:6px solid transparent;border-right:9px solid #063;border-left:0}
.switch.exception.end.left::after{border-right-color:#a40}.label{display:block;font-size:.8em;color:#063;font-weight:600}.label.exception{color:#a40}
.switch-key{color:#063;font-weight:700}.exception-key{color:#a40;font-weight:700}
tr.detail td{padding:.1em .3em .6em;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}tr.step{cursor:pointer}
tr.failing td{background:#fde8e8}tr.failing .box{background:#f66;color:#fff;border-color:#a00}.changes{margin:0;padding-left:1em;font-size:.85em}
.hot{background:#fbb;font-weight:600}.violation{border:2px solid #c00;background:#fff4f4;padding:.5em 1em;margin:0 0 1em;overflow-wrap:anywhere}
.cmp th,.cmp td{padding:.1em .5em;text-align:left;vertical-align:top}.expected{color:#063;font-weight:600}.actual{color:#c00;font-weight:600}
.accesses,.gates{margin:0;padding-left:1em;font-size:.85em}.accesses li.hook{list-style:none;margin-left:-1em;font-weight:600}.accesses .n{display:inline-block;min-width:2em;color:#666}li.broke{background:#fbb}
.none{color:#888;margin:0}.warn{color:#a60;margin:0}tr.hidden{display:none}button.fold{font:inherit;border:1px solid #999;background:#fff;border-radius:3px;padding:0 .3em;margin-right:.3em;cursor:pointer}
pre{background:#f6f6f6;padding:.5em;white-space:pre-wrap;overflow-wrap:anywhere}details{margin:.5em 0}summary{cursor:pointer;font-weight:600}
.kernel td,.kernel th{text-align:left;padding:0 .5em;vertical-align:top;overflow-wrap:anywhere}.state ul{margin:0 0 .4em;padding-left:1.5em;font-size:.85em;font-family:ui-monospace,monospace}`;

// Folding: a step's button (or the row) folds its changes. On load, the failing step is scrolled
// to only when it is off-screen, vertically only (never sideways), below the sticky header.
const SCRIPT = `function fold(n){var d=document.getElementById('detail-'+n),c=document.getElementById('changes-'+n),b=document.querySelector('#step-'+n+' button.fold');if(!d)return;var h=d.classList.toggle('hidden');if(c)c.classList.toggle('hidden',h);if(b){b.setAttribute('aria-expanded',String(!h));b.textContent=h?'\\u25b8':'\\u25be';}}
document.querySelectorAll('tr.step[data-step]').forEach(function(r){r.addEventListener('click',function(){fold(r.dataset.step);});});
var f=document.querySelector('tr.step.failing');if(f){var r=f.getBoundingClientRect(),d=document.getElementById('detail-'+f.dataset.step),b=d?d.getBoundingClientRect().bottom:r.bottom;
if(r.top<0||b>window.innerHeight){var h=document.querySelector('table.seq thead');window.scrollTo({top:window.scrollY+r.top-(h?h.getBoundingClientRect().height:0)-8,left:window.scrollX});}}`;

/**
 * A self-contained HTML page (inline CSS and script, no network) with the counterexample as a
 * sequence diagram: lanes for userspace and for the host, hypervisor, guest and registers of each
 * CPU the trace uses; each step's event in its lane, arrows for world switches and routed debug
 * exceptions, its changes under their lanes; beside it the finding with the failing step's hook
 * accesses, a legend, the events' kernel names, the full state at the failing point, and the
 * replay command and vitest test. The trace is re-executed on `x`.
 */
export function renderHtml(x: Executor, page: HtmlTrace): string {
  const { trace, violation: v } = page;
  const view = page.view ?? viewTrace(x, trace, v, page.warnings, page.hung === true);
  const used = usedLanes(view.steps, v);
  const cpus = x.world.shape.cpus;
  const all = ['userspace', ...Array.from({ length: cpus }, (_, c) => PARTS.map((p) => lane(c, p))).flat()];
  const lanes = all.filter((l) => used.has(l));
  const groups: string[] = [];
  const parts: string[] = [];
  if (used.has('userspace')) groups.push('<th rowspan="2" data-lane="userspace">userspace</th>');
  for (let c = 0; c < cpus; c++) {
    const mine = PARTS.filter((p) => used.has(lane(c, p)));
    if (mine.length === 0) continue;
    groups.push(`<th colspan="${mine.length}" data-cpu="${c}">cpu${c}</th>`);
    for (const p of mine) parts.push(`<th data-lane="${lane(c, p)}">${PART_TITLES[p]}</th>`);
  }
  const rows = view.steps.map((s) => {
    const warns = s.warnings.map((w) => `<p class="warn">WARN in ${esc(w.hook)}: ${esc(w.message)}</p>`).join('');
    const at = s.failed && v ? `<p class="at">&#9888; ${esc(v.invariant)} broke here (${esc(v.at)})</p>` : '';
    const cls = s.failed ? ' failing' : '';
    return (
      `<tr id="step-${s.step}" class="step${cls}" data-step="${s.step}" title="${esc(s.text)}"><td class="num"><button class="fold" type="button" aria-expanded="true" aria-controls="detail-${s.step}" title="fold this step's changes">&#9662;</button>${s.step}</td>${eventCells(s, lanes)}</tr>` +
      `<tr class="detail${cls}" id="detail-${s.step}"><td class="num"></td><td colspan="${lanes.length}" class="event-text"><code>${esc(s.text)}</code>${at}${warns}${s.changes.length ? '' : '<p class="none">no state changed</p>'}</td></tr>` +
      `<tr class="detail changes-row${cls}" id="changes-${s.step}" data-step="${s.step}"><td class="num"></td>${changeCells(s, lanes, v)}</tr>`
    );
  });
  const kernel = view.kernel.length
    ? `<details class="kernel"><summary>Events, as the kernel knows them</summary><table>${view.kernel.map(([e, k]) => `<tr><th><code>${esc(e)}</code></th><td>${esc(k)}</td></tr>`).join('')}</table></details>`
    : '';
  const where = v ? `at the failing point (step ${v.step}, ${v.at})` : `after step ${trace.length}`;
  const state = `<details class="state" id="full-state"><summary>Full state ${esc(where)}</summary>${view.state
    .map((g) => `<h3>${esc(g.title)}</h3><ul>${g.lines.map((l) => `<li>${esc(l)}</li>`).join('') || '<li>(none)</li>'}</ul>`)
    .join('')}</details>`;
  const reproduce = page.reproduce
    ? `<section id="reproduce"><h2>Reproduce</h2><pre class="command">${esc(page.reproduce.command)}</pre><p>As a regression test (vitest):</p><pre class="test">${esc(page.reproduce.test.join('\n'))}</pre></section>`
    : '';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(page.title)}</title><style>${STYLE}</style></head>
<body><h1>${esc(page.title)}</h1>
<p>${trace.length} steps; ${esc(configText(x.model.config))}</p>
<div class="layout"><main>
<table class="seq"><thead><tr class="groups"><th rowspan="2" class="num">step</th>${groups.join('')}</tr><tr class="parts">${parts.join('')}</tr></thead><tbody>
<tr class="step initial" data-initial="true"><td class="num">0</td><td colspan="${lanes.length}">initial state</td></tr>
${rows.join('\n')}
</tbody></table>
${reproduce}
</main><aside>
${v ? findingBox(x, v, view.gates, view.accesses) : '<p class="held">No invariant broke on this trace.</p>'}${view.rerun ? `\n<p class="note">Note: ${esc(view.rerun)}</p>` : ''}
${LEGEND}
${kernel}
${state}
</aside></div>
<script>${SCRIPT}</script>
</body></html>
`;
}
