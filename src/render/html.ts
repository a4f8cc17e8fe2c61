import type { Executor, Warning } from '../execute.js';
import { hex } from '../hex.js';
import type { Violation } from '../invariant.js';
import { replay } from '../replay.js';
import type { TraceEvent } from '../trace.js';
import { CONTEXT_NAMES, type World } from '../world.js';
import { type Change, diffWorlds } from './diff.js';
import { configText, formatEvent } from './text.js';

/** What the HTML view shows: a counterexample (or a clean trace) and its title. */
export interface HtmlTrace {
  readonly title: string;
  readonly trace: readonly TraceEvent[];
  readonly violation: Violation | undefined;
  readonly warnings: readonly Warning[];
  /** The last step's hook never returned: that step is shown but not re-executed. */
  readonly hung?: boolean;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

/** The lanes of the sequence diagram: userspace, then host, hypervisor and guest of each CPU. */
const lanes = (cpus: number): string[] => [
  'userspace',
  ...Array.from({ length: cpus }, (_, c) => CONTEXT_NAMES.map((k) => `cpu${c} ${k}`)).flat(),
];

/** The CPU an event concerns: its `cpu` operand, or where its vCPU is (or becomes) loaded; -1 for none. */
function cpuOf(e: TraceEvent, before: World | undefined, after: World | undefined): number {
  if (typeof e.cpu === 'number') return e.cpu;
  if (typeof e.vcpu !== 'number') return -1;
  const at = (w: World | undefined): number => (w ? (w.loadedOn[e.vcpu as number] as number) : -1);
  return at(before) >= 0 ? at(before) : at(after);
}

/** The lane an event starts in, from who raises it (DESIGN §4): userspace, host code, or the guest. */
function actorLane(e: TraceEvent, cpu: number): number {
  if (e.event.startsWith('VMM_') || cpu < 0) return 0;
  const context = e.event.startsWith('GUEST_') && e.event !== 'GUEST_ENTER' ? 2 : 0;
  return 1 + cpu * 3 + context;
}

/** One row of the diagram: the event box in its lane and an arrow for every CPU that changed world. */
function laneCells(e: TraceEvent, before: World | undefined, after: World | undefined, width: number): string {
  const cells: string[] = Array.from({ length: width }, () => '');
  const actor = actorLane(e, cpuOf(e, before, after));
  cells[actor] = `<div class="box">${esc(e.event)}</div>`;
  if (before && after) {
    for (let c = 0; c < before.shape.cpus; c++) {
      const from = before.cpuContext[c] as number;
      const to = after.cpuContext[c] as number;
      if (from === to) continue;
      for (let k = Math.min(from, to); k <= Math.max(from, to); k++) {
        const lane = 1 + c * 3 + k;
        const arrow = k === to ? `<span class="arrow">&#9654; ${CONTEXT_NAMES[to]}</span>` : '<span class="wire"></span>';
        if (lane !== actor) cells[lane] = `${cells[lane]}${k === from ? `<span class="from">${CONTEXT_NAMES[from]}</span>` : ''}${arrow}`;
      }
    }
  }
  return cells.map((html, lane) => `<td class="lane l${lane}" data-lane="${lane}">${html}</td>`).join('');
}

/** The register changes of a step; changes of the violated register (on its CPU, when known) are marked. */
function changeList(changes: readonly Change[], v: Violation | undefined): string {
  if (changes.length === 0) return '<p class="none">no state changed</p>';
  const isHot = (name: string): boolean =>
    v?.register !== undefined && (v.cpu === undefined ? name.endsWith(`.${v.register}`) : name === `cpu${v.cpu}.${v.register}`);
  const items = changes.map((c) => {
    const hot = isHot(c.name);
    return `<li${hot ? ' class="hot"' : ''}><code>${esc(c.name)}</code>: ${esc(c.from)} &rarr; <b>${esc(c.to)}</b></li>`;
  });
  return `<ul class="changes">${items.join('')}</ul>`;
}

/** The finding, with the observation point and the expected versus actual value. */
function findingBox(v: Violation): string {
  const rows =
    v.register !== undefined && v.expected !== undefined && v.actual !== undefined
      ? `<table class="cmp"><tr><th>register</th><th>expected</th><th>actual</th><th>expected since</th></tr><tr><td><code>${esc(v.register)}</code></td><td class="expected">${hex(v.expected)}</td><td class="actual">${hex(v.actual)}</td><td>${v.setAt === 0 ? 'the initial state' : `step ${v.setAt ?? '?'}`}</td></tr></table>`
      : '';
  return `<div id="violation" class="violation"><h2>${esc(v.invariant)} broke at <a href="#step-${v.step}">step ${v.step}</a></h2><p class="at">observation point: <b>${esc(v.at)}</b></p><p>${esc(v.message)}</p>${rows}</div>`;
}

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}code,.box,.changes{font-family:ui-monospace,monospace}
table.seq{border-collapse:collapse;width:100%}table.seq th{position:sticky;top:0;background:#f4f4f4;font-weight:600;padding:.3em;border-bottom:2px solid #999}
td.lane{border-left:1px dashed #bbb;padding:.2em .4em;vertical-align:top;text-align:center;min-width:7em}td.num{font-weight:600;vertical-align:top;white-space:nowrap}
.box{display:inline-block;border:1px solid #557;background:#eef;border-radius:3px;padding:0 .3em}.arrow{color:#063;font-weight:600}.from{color:#666;margin-right:.3em}
.wire{display:inline-block;width:100%;border-top:2px solid #063;vertical-align:middle}tr.detail td{padding:.1em .5em .6em 3em;border-bottom:1px solid #ddd;text-align:left}
tr.step{cursor:pointer}tr.failing td{background:#fde8e8}tr.failing .box{background:#f66;color:#fff;border-color:#a00}.changes{margin:0;padding-left:1em;columns:2}
li.hot{background:#fbb;font-weight:600}.violation{border:2px solid #c00;background:#fff4f4;padding:.5em 1em;margin:1em 0}.cmp td,.cmp th{padding:.1em .8em;text-align:left}
.expected{color:#063;font-weight:600}.actual{color:#c00;font-weight:600}.none{color:#888;margin:0}.warn{color:#a60}tr.hidden{display:none}`;

// Clicking a step folds its register changes; the failing step is scrolled into view on load.
const SCRIPT = `document.querySelectorAll('tr.step').forEach(function(r){r.addEventListener('click',function(){var d=document.getElementById('detail-'+r.dataset.step);if(d)d.classList.toggle('hidden');});});
var f=document.querySelector('tr.failing');if(f)f.scrollIntoView({block:'center'});`;

/**
 * A self-contained HTML page (inline CSS and script, no network) with the counterexample as a
 * sequence diagram: a lane for userspace and for each CPU's host, hypervisor and guest, each
 * step's event and register changes, the failing step and its observation point highlighted,
 * and the expected versus actual value. The trace is re-executed on `x` for the changes.
 */
export function renderHtml(x: Executor, page: HtmlTrace): string {
  const { trace, violation: v } = page;
  const rep = replay(x, page.hung ? trace.slice(0, -1) : trace);
  const names = lanes(x.world.shape.cpus);
  const rows = trace.map((e, i) => {
    const step = i + 1;
    const failed = v !== undefined && step === v.step;
    const before = rep.states[i];
    const after = rep.states[i + 1];
    const changes = before && after ? diffWorlds(x, before, after) : [];
    const warns = page.warnings.filter((w) => w.step === step).map((w) => `<p class="warn">WARN in ${esc(w.hook)}: ${esc(w.message)}</p>`);
    const at = failed ? `<p class="at">&#9888; ${esc(v.invariant)} broke here (${esc(v.at)})</p>` : '';
    return (
      `<tr id="step-${step}" class="step${failed ? ' failing' : ''}" data-step="${step}" title="${esc(formatEvent(e))}"><td class="num">${step}</td>${laneCells(e, before, after, names.length)}</tr>` +
      `<tr id="detail-${step}" class="detail${failed ? ' failing' : ''}"><td colspan="${names.length + 1}"><code>${esc(formatEvent(e))}</code>${at}${changeList(changes, v)}${warns.join('')}</td></tr>`
    );
  });
  const head = `<tr><th>step</th>${names.map((n) => `<th>${esc(n)}</th>`).join('')}</tr>`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>${esc(page.title)}</title><style>${STYLE}</style></head>
<body><h1>${esc(page.title)}</h1>
<p>${trace.length} steps; ${esc(configText(x.model.config))}</p>
${v ? findingBox(v) : '<p class="held">No invariant broke on this trace.</p>'}
<table class="seq"><thead>${head}</thead><tbody>
<tr class="step" data-step="0"><td class="num">0</td><td colspan="${names.length}">initial state</td></tr>
${rows.join('\n')}
</tbody></table>
<script>${SCRIPT}</script>
</body></html>
`;
}
