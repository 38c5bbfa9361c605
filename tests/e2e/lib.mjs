// Shared helpers for the dashboard's end-to-end tests: a static server for the Trunk build,
// Debian's Chromium through playwright-core, the simulator's admin API, and screenshots.
import { createServer } from 'node:http';
import { readFile, mkdir } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';
import { chromium } from 'playwright-core';

export const ROOT = resolve(new URL('../..', import.meta.url).pathname);
export const OUT = process.env.IOTMQTT_E2E_OUT || join(ROOT, 'test-output');
export const DIST = process.env.IOTMQTT_DASHBOARD_DIST || join(OUT, 'dist');
export const SCREENSHOTS = join(OUT, 'screenshots');

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the tests through scripts/e2e-test.sh`);
  return v;
};
export const simPort = () => env('IOTMQTT_TEST_SIM_HTTP_PORT');
export const brokerWsPort = () => env('IOTMQTT_TEST_BROKER_WS_PORT');

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.png': 'image/png', '.json': 'application/json' };

/** Serves `dir` on 127.0.0.1 (any free port); unknown paths get index.html. */
export async function serveDist(dir = DIST) {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const file = join(dir, path === '/' ? 'index.html' : path);
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'Content-Type': TYPES[extname(file)] || 'application/octet-stream', 'Cache-Control': 'no-store' });
      res.end(body);
    } catch {
      res.writeHead(200, { 'Content-Type': TYPES['.html'] });
      res.end(await readFile(join(dir, 'index.html')));
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, base: `http://127.0.0.1:${server.address().port}` };
}

export const CHROMIUM_ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export async function launch() {
  return chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
}

/** The dashboard URL with the simulator and test broker as the ready-made profiles' targets. */
export function appUrl(base, hash, extra = '') {
  const sim = encodeURIComponent(`ws://127.0.0.1:${process.env.IOTMQTT_TEST_SIM_HTTP_PORT || 8088}`);
  const broker = encodeURIComponent(`ws://127.0.0.1:${process.env.IOTMQTT_TEST_BROKER_WS_PORT || 19001}`);
  return `${base}/?sim=${sim}&broker=${broker}&user=tester&pass=secret${extra}#/${hash}`;
}

/** A fresh page (fresh localStorage) on `hash`, with console errors collected. */
/** The window width of this run: scripts/e2e-test.sh runs every test at 1366 and at 800 px. */
export const WIDTH = Number(process.env.IOTMQTT_E2E_WIDTH || 1366);

export async function openPage(browser, base, hash, { width = WIDTH, height = 1000, colorScheme = 'light', query = '' } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, colorScheme });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(appUrl(base, hash, query));
  await page.waitForSelector('header.top nav');
  return { page, context, errors };
}

/** JSON from the simulator's admin API. */
export async function admin(path, { method = 'GET', body, raw = false } = {}) {
  const res = await fetch(`http://127.0.0.1:${simPort()}${path}`, {
    method,
    body: body === undefined ? undefined : (raw ? body : JSON.stringify(body)),
    headers: raw ? { 'Content-Type': 'application/octet-stream' } : { 'Content-Type': 'application/json' },
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, json, text };
}

/** Polls `fn` until it returns a truthy value or `ms` pass. */
export async function eventually(fn, ms = 10_000, what = 'condition') {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try { last = await fn(); if (last) return last; } catch (e) { last = e; }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}

/** A full-page screenshot, of a page that fits its window (it fails the test otherwise). */
export async function screenshot(page, name) {
  const { scroll, inner } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
  if (scroll > inner) throw new Error(`${name}: the page is ${scroll} px wide in a ${inner} px window`);
  await mkdir(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}${WIDTH === 1366 ? '' : `-${WIDTH}`}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Selects the profile of a page by its visible name and presses Connect. */
export async function connect(page, kindSlug, profileName) {
  if (profileName) await page.selectOption(`#${kindSlug}-profile`, { label: profileName });
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
}

export async function waitConnected(page) {
  await page.locator('.connection-bar .status.connected').waitFor({ timeout: 10_000 });
}

/** Waits until the connection bar says `text` of the tabs sharing the connection. */
export async function sharedTabs(page, text) {
  await page.waitForFunction((t) => document.querySelector('.connection-bar .shared-tabs')?.textContent === t, text);
}

/** Issue 23: page A connects the ready-made profile named `profile` with "Share" ticked; `beforeB`
 *  runs in A; page B, in the same browser profile (so the same saved profile and SharedWorker), opens
 *  A's page and connects it. Both bars then say "2 tabs share this connection". */
export async function twoSharedTabs(browser, base, profile, beforeB = async () => {}) {
  const { page: a, context, errors } = await openPage(browser, base, 'connections');
  await a.locator('.profile-list button.link', { hasText: profile }).click();
  await a.check('#profile-shared');
  await a.getByRole('button', { name: 'Save and connect' }).click();
  await waitConnected(a);
  await sharedTabs(a, 'only this tab on the shared connection');
  await beforeB(a);
  const b = await context.newPage();
  b.on('pageerror', (e) => errors.push(String(e)));
  await b.goto(a.url());
  await b.getByRole('button', { name: 'Connect', exact: true }).click();
  await waitConnected(b);
  for (const p of [a, b]) await sharedTabs(p, '2 tabs share this connection');
  return { a, b, context, errors };
}

/** Every input, select, textarea and button on the page has an accessible name. */
export async function unnamedControls(page) {
  return page.evaluate(() => [...document.querySelectorAll('input, select, textarea, button')]
    .filter((el) => !(el.labels?.length || el.getAttribute('aria-label') || el.textContent.trim()))
    .map((el) => el.outerHTML.slice(0, 120)));
}

/** How wide the page is against its window: nothing may make it scroll sideways. */
export async function assertFits(page, assert) {
  const { scroll, window } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, window: window.innerWidth }));
  assert.ok(scroll <= window, `the page is ${scroll} px wide in a ${window} px window`);
}
