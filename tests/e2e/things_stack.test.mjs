// TTS application page against the simulator: live uplinks in every form, a hex downlink
// pushed and seen acked on its timeline, and validation errors at their fields.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveDist, launch, openPage, connect, waitConnected, admin, eventually, screenshot, unnamedControls, sharedTabs, twoSharedTabs } from './lib.mjs';

let browser, server, base;
before(async () => { ({ server, base } = await serveDist()); browser = await launch(); });
after(async () => { await browser?.close(); server?.close(); });

test('a hex downlink is pushed and its timeline reaches ack', async () => {
  const { page, context, errors } = await openPage(browser, base, 'tts');
  await connect(page, 'tts');
  await waitConnected(page);
  // Uplinks arrive decoded as CayenneLPP.
  const row = page.locator('table[aria-label="Uplink table"] tbody tr').first();
  await row.waitFor({ timeout: 15_000 });
  assert.match(await row.innerText(), /temperature/);
  await page.fill('#dl-device', 'demo-sensor-1');
  await page.fill('#dl-fport', '15');
  await page.selectOption('#dl-format', 'hex');
  await page.fill('#dl-payload', 'AA BB CC');
  assert.equal(await page.locator('[data-testid=preview-base64]').innerText(), 'qrvM');
  assert.equal(await page.locator('[data-testid=preview-hex]').innerText(), 'AABBCC');
  await page.getByRole('button', { name: 'Push', exact: true }).click();
  const timeline = page.locator('li.timeline').first();
  await timeline.locator('.step.acked').waitFor({ timeout: 15_000 });
  const steps = await timeline.locator('.step-name').allInnerTexts();
  assert.deepEqual(steps, ['published', 'queued', 'sent', 'acked']);
  const correlation = await timeline.getAttribute('data-correlation');
  assert.match(correlation, /^iotmqtt:down:/);
  // Issue 22, point 4: control characters show as control pictures, not programming escapes.
  await page.fill('#dl-payload', '01 41');
  assert.equal(await page.locator('[data-testid=preview-text]').innerText(), '\u2401A');
  // A downlink too long for SF12 fails with the server's message, its placeholders filled.
  await page.fill('#dl-device', 'demo-sensor-slow');
  await page.fill('#dl-payload', 'AA '.repeat(200).trim());
  await page.getByRole('button', { name: 'Push', exact: true }).click();
  const failed = page.locator('li.timeline').first();
  await failed.locator('.step.failed').waitFor({ timeout: 15_000 });
  const reason = await failed.locator('.field-error').last().innerText();
  assert.match(reason, /payload of 200 bytes is too long for data rate with maximum \d+ bytes/);
  assert.doesNotMatch(reason, /\{length\}|\{max\}/);
  // Issue 22, point 4: the 200-byte payload wraps; the page is no wider than the window.
  const widths = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, window: window.innerWidth }));
  assert.ok(widths.page <= widths.window, `page ${widths.page} px wide in a ${widths.window} px window`);
  // The uplink detail view shows the full event JSON as text.
  await row.getByRole('button', { name: /Details of uplink/ }).click();
  assert.match(await page.locator('.detail pre.json').innerText(), /"end_device_ids"/);
  assert.deepEqual(await unnamedControls(page), []);
  await screenshot(page, 'tts-application');
  assert.deepEqual(errors, []);
  await context.close();
});

// Issue 22, point 7: every downlink reaches a final state. One for a device The Things Stack does not
// know is never answered: it ends as "no answer" after the wait the page names (2 s here). A downlink
// whose queue is cleared ends as "cleared", and stays so.
test('every downlink ends: no answer within the wait, or cleared with its queue', async () => {
  const { page, context, errors } = await openPage(browser, base, 'tts', { query: '&downlinkAnswerS=2' });
  await connect(page, 'tts');
  await waitConnected(page);
  await page.fill('#dl-fport', '15');
  await page.selectOption('#dl-format', 'hex');
  await page.fill('#dl-payload', '01');
  await page.fill('#dl-device', 'ghost-cleared');
  await page.getByRole('button', { name: 'Push', exact: true }).click();
  const said = page.locator('section[aria-label="Downlink composer"] .ok');
  await said.waitFor();
  assert.equal(await said.innerText(), 'pushed for ghost-cleared: follow it in the timeline');
  await page.getByRole('button', { name: 'Clear queue', exact: true }).click();
  const cleared = page.locator('li.timeline[data-correlation]').first();
  await cleared.locator('.step.cleared').waitFor();
  assert.deepEqual(await cleared.locator('.step-name').allInnerTexts(), ['published', 'cleared']);
  await page.fill('#dl-device', 'ghost-device');
  await page.getByRole('button', { name: 'Push', exact: true }).click();
  const ghost = page.locator('li.timeline').first();
  await ghost.locator('.step.no-answer').waitFor({ timeout: 10_000 });
  assert.deepEqual(await ghost.locator('.step-name').allInnerTexts(), ['published', 'no answer']);
  assert.equal(await ghost.locator('.field-error').innerText(), 'nothing from The Things Stack within 2 s');
  // The cleared one was not touched by its wait running out.
  assert.deepEqual(await page.locator('li.timeline').nth(1).locator('.step-name').allInnerTexts(), ['published', 'cleared']);
  assert.deepEqual(errors, []);
  await context.close();
});

test('downlink validation errors show at the field they concern', async () => {
  const { page, context } = await openPage(browser, base, 'tts');
  await connect(page, 'tts');
  await waitConnected(page);
  await page.fill('#dl-fport', '300');
  assert.match(await page.locator('#dl-fport-error').innerText(), /f_port 300 is not allowed/);
  await page.fill('#dl-fport', '15');
  await page.fill('#dl-payload', 'ZZ');
  assert.match(await page.locator('#dl-payload-error').innerText(), /invalid hex/);
  await page.selectOption('#dl-format', 'base64');
  await page.fill('#dl-payload', 'aGVsbG8=');
  assert.equal(await page.locator('[data-testid=preview-text]').innerText(), 'hello');
  await page.fill('#dl-correlation', 'x'.repeat(120));
  assert.match(await page.locator('#dl-correlation-error').innerText(), /at most 100/);
  assert.equal(await page.getByRole('button', { name: 'Push', exact: true }).isDisabled(), true);
  await context.close();
});

// Issue 23: two tabs of the dashboard on The Things Stack's application with "Share" ticked use one
// connection at the server (the simulator counts the application's connections), each tab with
// its own uplinks (an uplink reaches each tab once) and its own downlinks (one tab's push is
// tracked in that tab alone), and the connection bar says how many tabs share it.
test('two tabs on a shared application: one connection, an uplink once in each tab, a downlink tracked in its own tab', async () => {
  const connections = async () => (await admin('/api/sim/thethingsstack')).json.applications.find((a) => a.id === 'demo-app').connections;
  const { a, b, context, errors } = await twoSharedTabs(browser, base, 'demo-app@ttn (simulator)');
  await eventually(async () => (await connections()) === 1, 5_000, 'one connection for demo-app');
  // One uplink with a payload of its own: one row in each tab.
  await admin('/api/v3/as/applications/demo-app/devices/demo-sensor-1/up/simulate', {
    method: 'POST', body: { uplink_message: { f_port: 99, frm_payload: '3q2+7w==' } },
  });
  const marked = (p) => p.locator('table[aria-label="Uplink table"] tbody tr', { hasText: 'DEADBEEF' });
  for (const p of [a, b]) await marked(p).first().waitFor({ timeout: 15_000 });
  // B pushes a downlink: its timeline in B reaches ack, and A tracks nothing.
  await b.fill('#dl-device', 'demo-sensor-1');
  await b.fill('#dl-fport', '15');
  await b.selectOption('#dl-format', 'hex');
  await b.fill('#dl-payload', '01 02');
  await b.getByRole('button', { name: 'Push', exact: true }).click();
  const timeline = b.locator('li.timeline').first();
  await timeline.locator('.step.acked').waitFor({ timeout: 15_000 });
  assert.deepEqual(await timeline.locator('.step-name').allInnerTexts(), ['published', 'queued', 'sent', 'acked']);
  assert.equal(await a.locator('li.timeline').count(), 0);
  for (const p of [a, b]) assert.equal(await marked(p).count(), 1);
  assert.equal(await connections(), 1);
  await screenshot(b, 'tts-shared');
  // B leaves: A keeps the connection.
  await b.getByRole('button', { name: 'Disconnect', exact: true }).click();
  await sharedTabs(a, 'only this tab on the shared connection');
  assert.equal(await connections(), 1);
  assert.equal(await a.locator('.connection-bar .status.connected').count(), 1);
  assert.deepEqual(errors, []);
  await context.close();
});
