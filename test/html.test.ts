/**
 * The HTML view (`--html F`) in a real headless browser: Debian's chromium driven by
 * playwright-core. The page loads with no console or page errors and no network request, and its
 * DOM shows the failing step, the observation point and the expected versus actual value. Without
 * chromium the test is skipped on a developer's machine, and fails in CI (CI set), which installs it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './cli-harness.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
const dir = mkdtempSync(join(tmpdir(), 'worldswitch-html-'));
const trace = join(dir, 'trace.json');
const checkHtml = join(dir, 'check.html');
let checked: { code: number };
let browser: BrowserContext | undefined;

/** Opens `file` in a fresh page; returns the page and every error and request it produced. */
async function open(file: string) {
  if (!browser) throw new Error('no browser');
  const page = await browser.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => {
    if (!r.url().startsWith('file:')) requests.push(r.url());
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return { page, errors, requests };
}

/** What the layout probe measures in the page. */
interface Box {
  top: number;
  bottom: number;
  left: number;
  right: number;
}
interface Layout {
  scrollX: number;
  width: number;
  height: number;
  scrollWidth: number;
  violation?: Box;
  failing?: Box;
  heads: Record<string, Box>;
  changes: { name: string; lane: string | null; cell: string | null | undefined; rect?: Box }[];
}

/** Measures, in the page: scroll, viewport, the finding's heading, the failing step, each lane header and each change. */
const LAYOUT_PROBE = `
      const rect = (e) => {
        const r = e?.getBoundingClientRect();
        return r ? { top: r.top, bottom: r.bottom, left: r.left, right: r.right } : undefined;
      };
      const heads = Object.fromEntries(
        [...document.querySelectorAll('table.seq thead th[data-lane]')].map((th) => [th.getAttribute('data-lane'), rect(th)]),
      );
      const changes = [...document.querySelectorAll('li.change')].map((li) => ({
        name: li.querySelector('code')?.textContent ?? '',
        lane: li.getAttribute('data-lane'),
        cell: li.closest('td')?.getAttribute('data-lane'),
        rect: rect(li),
      }));
      return {
        scrollX: window.scrollX,
        width: window.innerWidth,
        height: window.innerHeight,
        scrollWidth: document.documentElement.scrollWidth,
        violation: rect(document.querySelector('#violation h2')),
        failing: rect(document.querySelector('tr.step.failing')),
        heads,
        changes,
      };
`;

describe.skipIf(!available && !process.env.CI)('the HTML counterexample in headless chromium', () => {
  beforeAll(async () => {
    expect(available, `chromium not found at ${CHROMIUM}: .ci/run installs the Debian package`).toBe(true);
    browser = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      viewport: { width: 1280, height: 800 },
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    checked = await cli('check', 'arm64-dirty-2015-v2', '--seed', '1', '--html', checkHtml, '--out', trace);
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('check --html: loads without errors or network, and shows the failing step with expected versus actual, decoded', async () => {
    const html = checkHtml;
    expect(checked.code).toBe(1);
    const saved = JSON.parse(readFileSync(trace, 'utf8')) as { step: number; invariant: string; events: { event: string }[] };
    expect(readFileSync(html, 'utf8')).not.toMatch(/(src|href)="(https?:)?\/\//);

    const { page, errors, requests } = await open(html);
    const failing = page.locator('tr.step.failing');
    expect(await failing.count()).toBe(1);
    expect(await failing.getAttribute('data-step')).toBe(String(saved.step));
    expect(await failing.locator('.box').innerText()).toBe(saved.events[saved.step - 1]?.event);
    const finding = page.locator('#violation');
    expect(await finding.innerText()).toContain(`${saved.invariant} broke at step ${saved.step}`);
    expect(await finding.locator('.at').innerText()).toContain('after the event');
    expect(await finding.locator('td.expected').innerText()).toBe('0x0');
    expect(await finding.locator('td.actual').innerText()).toBe('0x1ffd (E, PAC=EL0, LSC=load|store, BAS=0xff)');
    expect(await finding.locator('.gates').innerText()).toContain('MDE set; SS, KDE clear');
    // The failing step's hook accesses, writes numbered as the observation point counts them.
    expect(await finding.locator('.accesses li.access .n').allInnerTexts()).toEqual(['', '#1', '#2', '#3']);
    // The lanes the trace uses: cpu0's host, hypervisor, guest and registers; cpu1 and userspace are unused.
    expect(await page.locator('table.seq thead th[data-lane]').evaluateAll((t) => t.map((e) => e.getAttribute('data-lane')))).toEqual([
      'cpu0-host',
      'cpu0-hyp',
      'cpu0-guest',
      'cpu0-hw',
    ]);
    // Legend, kernel names, full state, the replay command and the vitest test are in the page.
    expect(await page.locator('details.legend').innerText()).toContain('hostIntent');
    expect(await page.locator('details.kernel').textContent()).toContain('KVM_RUN');
    expect(await page.locator('#full-state').textContent()).toContain('DBGWCR3_EL1 0x1ffd (E, PAC=EL0, LSC=load|store, BAS=0xff)');
    expect(await page.locator('#reproduce pre.command').innerText()).toBe('npx worldswitch check arm64-nvhe/arm64-dirty-2015-v2 --seed 1');
    expect(await page.locator('#reproduce pre.test').innerText()).toContain("expectPolicy('arm64-nvhe/arm64-dirty-2015-v2').toHoldOn(");
    // A visible fold control: its button folds the step's changes.
    const button = page.locator('tr.step[data-step="1"] button.fold');
    expect(await button.isVisible()).toBe(true);
    await button.click();
    expect(await page.locator('#detail-1').isHidden()).toBe(true);
    expect(await page.locator('#changes-1').isHidden()).toBe(true);
    expect(await button.getAttribute('aria-expanded')).toBe('false');
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
  });

  /** Geometry at 1280×800: the finding and the failing step in view, nothing sideways, each change under its lane's header. */
  async function checkLayout(file: string, lanes: string[]) {
    const { page, errors } = await open(file);
    // Runs in the page (a string: this file is compiled without the DOM types).
    const g = (await page.evaluate(`(() => {${LAYOUT_PROBE}})()`)) as Layout;
    expect(g.width).toBe(1280);
    expect(g.scrollX).toBe(0);
    expect(g.scrollWidth).toBeLessThanOrEqual(g.width);
    expect(g.violation && g.violation.top >= 0 && g.violation.bottom <= g.height, JSON.stringify(g.violation)).toBe(true);
    expect(g.failing && g.failing.top >= 0 && g.failing.bottom <= g.height, JSON.stringify(g.failing)).toBe(true);
    expect(Object.keys(g.heads)).toEqual(lanes);
    expect(g.changes.length).toBeGreaterThan(0);
    for (const c of g.changes) {
      expect(c.cell, c.name).toBe(c.lane);
      const cpu = /^(?:cpu|host|hostIntent\[cpu)(\d+)/.exec(c.name)?.[1];
      if (c.name.startsWith('cpu')) expect(c.lane, c.name).toBe(`cpu${cpu}-hw`);
      if (c.name.startsWith('host')) expect(c.lane, c.name).toBe(`cpu${cpu}-host`);
      if (c.name.startsWith('guestIntent')) expect(c.lane, c.name).toMatch(/^cpu\d-guest$|^userspace$/);
      if (/^vcpu\d\./.test(c.name)) expect(c.lane, c.name).toMatch(/^cpu\d-hyp$|^userspace$/);
      const head = g.heads[c.lane ?? ''];
      if (c.rect && head && c.rect.bottom > 0) {
        expect(c.rect.left, c.name).toBeGreaterThanOrEqual(head.left - 1);
        expect(c.rect.right, c.name).toBeLessThanOrEqual(head.right + 1);
      }
    }
    expect(errors).toEqual([]);
  }

  it('a 2-CPU counterexample at 1280×800: finding and failing step in view, no sideways overflow, only used lanes, diffs in their lanes', async () => {
    // The seed-2 counterexample (cpu1) with the host's watchpoint armed on cpu0 first: both CPUs used.
    const base = join(dir, 'seed2.json');
    expect((await cli('check', 'arm64-dirty-2015-v2', '--seed', '2', '--out', base)).code).toBe(1);
    const t = JSON.parse(readFileSync(base, 'utf8')) as { step: number; events: Record<string, unknown>[] };
    t.events.unshift({ ...t.events[0], cpu: 0 });
    t.step += 1;
    const two = join(dir, 'two.json');
    writeFileSync(two, JSON.stringify(t));
    const html = join(dir, 'two.html');
    expect((await cli('replay', two, '--html', html)).code).toBe(1);
    await checkLayout(html, ['userspace', 'cpu0-host', 'cpu0-hw', 'cpu1-host', 'cpu1-hyp', 'cpu1-guest', 'cpu1-hw']);
  });

  it('a 4-CPU counterexample at 1280×800: the same, and the three CPUs it does not use have no lanes', async () => {
    const html = join(dir, 'four.html');
    expect((await cli('check', 'armv7-dirty-2015', '--cpus', '4', '--seed', '2', '--html', html)).code).toBe(1);
    await checkLayout(html, ['cpu3-host', 'cpu3-hyp', 'cpu3-guest', 'cpu3-hw']);
  });

  it('draws a debug exception routed from the guest to the host and on to userspace as arrows', async () => {
    const html = join(dir, 'routed.html');
    const r = await cli('check', 'ppc-booke-gdb-2008', '--invariant', 'debug-status-consumed', '--seed', '1', '--html', html);
    expect(r.code).toBe(1);
    const { page, errors } = await open(html);
    const failing = page.locator('tr.step.failing');
    expect(await failing.locator('td[data-lane="cpu0-host"] .switch.end.left').count()).toBe(1);
    expect(await failing.locator('td[data-lane="cpu0-host"] .label').innerText()).toBe('debug exception: guest → host');
    expect(await failing.locator('td[data-lane="userspace"] .switch.exception.end.left').count()).toBe(1);
    expect(await failing.locator('td[data-lane="userspace"] .label.exception').innerText()).toBe('debug exception → userspace');
    // Each arrow runs level across the lanes it passes: one track per arrow, at the same height in every lane.
    const tops = await failing.locator('.switch.exception').evaluateAll((els) => els.map((e) => Math.round(e.getBoundingClientRect().top)));
    expect(tops.length).toBeGreaterThan(1);
    expect(new Set(tops).size).toBe(1);
    expect(errors).toEqual([]);
  });

  it('check --html on a held policy says so and writes no page', async () => {
    const html = join(dir, 'held.html');
    const r = await cli('check', 'arm64-dirty-2015', '--runs', '50', '--html', html);
    expect(r.code).toBe(0);
    expect(r.err).toContain(`no counterexample to draw; ${html} not written`);
    expect(existsSync(html)).toBe(false);
  });

  it('replay --policy --html: the fixed policy on the old trace shows no failing step', async () => {
    const html = join(dir, 'replay.html');
    const r = await cli('replay', trace, '--policy', 'arm64-dirty-2015', '--html', html);
    expect(r.code).toBe(0);
    const { page, errors } = await open(html);
    expect(await page.locator('tr.step.failing').count()).toBe(0);
    expect(await page.locator('p.held').innerText()).toContain('No invariant broke');
    expect(await page.locator('tr.step').count()).toBeGreaterThan(1);
    expect(errors).toEqual([]);
  });
});
