/**
 * The HTML view (`--html F`) in a real headless browser: Debian's chromium driven by
 * playwright-core. The page loads with no console or page errors and no network request, and its
 * DOM shows the failing step, the observation point and the expected versus actual value. Without
 * chromium the test is skipped on a developer's machine, and fails in CI (CI set), which installs it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

describe.skipIf(!available && !process.env.CI)('the HTML counterexample in headless chromium', () => {
  beforeAll(async () => {
    expect(available, `chromium not found at ${CHROMIUM}: .ci/run installs the Debian package`).toBe(true);
    browser = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
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

  it('check --html: loads without errors or network, and shows the failing step with expected versus actual', async () => {
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
    expect(await finding.locator('td.actual').innerText()).toBe('0x1ffd');
    // A lane for userspace and for each of the two CPUs' host, hypervisor and guest.
    expect(await page.locator('table.seq thead th').allInnerTexts()).toEqual([
      'step',
      'userspace',
      'cpu0 host',
      'cpu0 hyp',
      'cpu0 guest',
      'cpu1 host',
      'cpu1 hyp',
      'cpu1 guest',
    ]);
    // The inline script runs: clicking a step folds its register changes.
    await page.locator('tr.step[data-step="1"]').click();
    expect(await page.locator('#detail-1').isHidden()).toBe(true);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
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
