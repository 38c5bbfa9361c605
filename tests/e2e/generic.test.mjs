// Generic MQTT page against mosquitto: subscribe with a colour, publish JSON, see it in the log
// and on the chart; and a 5-second load smoke run at 1,000 messages/s.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveDist, launch, openPage, connect, waitConnected, screenshot, unnamedControls, DIST } from './lib.mjs';
import { runBench } from './bench-dashboard.mjs';

let browser, server, base;
before(async () => { ({ server, base } = await serveDist()); browser = await launch(); });
after(async () => { await browser?.close(); server?.close(); });

test('subscribes, publishes and charts a JSON field', async () => {
  const { page, context, errors } = await openPage(browser, base, 'mqtt');
  await connect(page, 'generic');
  await waitConnected(page);
  await page.fill('#sub-filter', 'e2e/#');
  await page.getByRole('button', { name: 'Subscribe', exact: true }).click();
  await page.getByText('granted QoS 1').waitFor();
  await page.fill('#pub-topic', 'e2e/sensor');
  for (const v of [20, 24, 22, 27]) {
    await page.fill('#pub-payload', `{"value": ${v}, "html": "<b>not bold</b>"}`);
    await page.getByRole('button', { name: 'Publish', exact: true }).click();
    await page.locator('form[aria-label="Publish"] .ok').waitFor();
  }
  const rows = page.locator('table.log tbody tr');
  await rows.nth(3).waitFor();
  // Issue 22, point 5: JSON is checked, then sent exactly as typed (key order, 2.50, spacing).
  assert.match(await page.locator('#pub-json-hint').innerText(), /sent exactly as typed/);
  const typed = '{"value": 2.50,  "a": 1}';
  await page.fill('#pub-payload', typed);
  await page.getByRole('button', { name: 'Publish', exact: true }).click();
  await rows.nth(4).waitFor();
  assert.equal(await rows.first().locator('td.payload').evaluate((td) => td.textContent), typed);
  // Issue 22, point 8: with no more messages the rate falls to 0 and the chart slides on instead of
  // freezing: its picture changes with no new data.
  await page.waitForFunction(() => document.querySelector('[data-testid=rate]')?.textContent === '0 msg/s', null, { timeout: 5_000 });
  const picture = await page.locator('canvas.chart').evaluate((c) => c.toDataURL());
  await page.waitForFunction((before) => document.querySelector('canvas.chart').toDataURL() !== before, picture, { timeout: 5_000 });
  // Payloads are text, never HTML.
  assert.equal(await page.locator('table.log b').count(), 0);
  assert.match(await rows.nth(1).innerText(), /<b>not bold<\/b>/);
  // Filter, pause and clear.
  await page.fill('#log-filter', 'nothing/matches');
  assert.equal(await rows.count(), 0);
  await page.fill('#log-filter', 'e2e/+');
  assert.equal(await rows.count(), 5);
  await page.selectOption('#pub-format', 'hex');
  await page.fill('#pub-payload', 'zz');
  assert.match(await page.locator('#pub-payload-error').innerText(), /invalid hex/);
  assert.equal(await page.locator('form[aria-label="Publish"] .ok').count(), 0, 'no stale "published" next to the error');
  assert.deepEqual(await unnamedControls(page), []);
  await screenshot(page, 'generic-mqtt');
  assert.deepEqual(errors, []);
  await context.close();
});

// Issue 21: on an MQTT 5 connection the publish form sets a message's properties, and the log's
// detail view shows those a received message carries.
test('MQTT 5: the properties typed go out with a publish, and the log shows them on the message', async () => {
  const { page, context, errors } = await openPage(browser, base, 'connections');
  await page.locator('.profile-list button.link', { hasText: 'Local mosquitto' }).click();
  await page.selectOption('#profile-version', '5');
  await page.getByRole('button', { name: 'Save and connect' }).click();
  await waitConnected(page);
  await page.fill('#sub-filter', 'e2e5/#');
  await page.getByRole('button', { name: 'Subscribe', exact: true }).click();
  await page.getByText('granted QoS 1').waitFor();
  await page.fill('#pub-topic', 'e2e5/request');
  await page.locator('details.mqtt5 summary').click();
  await page.fill('#pub-content-type', 'application/json');
  await page.fill('#pub-response-topic', 'e2e5/reply');
  await page.fill('#pub-expiry', '120');
  await page.fill('#pub-user-properties', 'unit=C\nunit=F\nsite=lab');
  await page.getByRole('button', { name: 'Publish', exact: true }).click();
  await page.locator('form[aria-label="Publish"] .ok').waitFor();
  const row = page.locator('table.log tbody tr').first();
  await row.locator('details.props summary').waitFor();
  assert.equal(await row.locator('details.props summary').innerText(), 'MQTT 5 properties (6)');
  await row.locator('details.props summary').click();
  const [names, values] = [await row.locator('dt').allInnerTexts(), await row.locator('dd').allInnerTexts()];
  // mosquitto forwards what is left of the expiry: 120 s, or 119 once a second has turned.
  assert.ok(['120 s', '119 s'].includes(values[0]), values[0]);
  assert.deepEqual(names.map((n, i) => [n, i === 0 ? '-' : values[i]]), [
    ['Expires in', '-'], ['Content type', 'application/json'], ['Response topic', 'e2e5/reply'],
    ['User property unit', 'C'], ['User property unit', 'F'], ['User property site', 'lab'],
  ]);
  // What the session refuses is shown at its field, and nothing is sent.
  await page.fill('#pub-response-topic', 'e2e5/+');
  await page.getByRole('button', { name: 'Publish', exact: true }).click();
  assert.match(await page.locator('#pub-response-topic-error').innerText(), /must be a topic name/);
  await page.fill('#pub-response-topic', '');
  await page.fill('#pub-user-properties', 'no equals sign');
  await page.getByRole('button', { name: 'Publish', exact: true }).click();
  assert.equal(await page.locator('#pub-user-properties-error').innerText(), 'line 1: write name=value');
  assert.equal(await page.locator('table.log tbody tr').count(), 1);
  assert.deepEqual(await unnamedControls(page), []);
  assert.deepEqual(errors, []);
  await context.close();
});

// Frame times are measured by the benchmark (`node bench/run.mjs --workloads dashboard`), not asserted
// here: a p95 threshold in the test command failed on an idle machine at 50.1 ms against 50.
test('shows every message at 1,000 messages per second and keeps painting (5 s smoke run)', async () => {
  const r = await runBench({ seconds: 5, rate: 1000, dist: DIST });
  console.log(`bench smoke: p95 frame ${r.frameMs.p95.toFixed(1)} ms, heap growth ${r.heapMB.growth.toFixed(1)} MB, ${r.received}/${r.sent} received`);
  assert.equal(r.received, r.sent, 'every message is shown');
  assert.ok(r.frames > 0, 'no animation frame was painted during the run');
});

test('a broker outage shows reconnecting with a countdown, then connected again', async () => {
  const control = process.env.IOTMQTT_TEST_BROKER_CONTROL_PORT;
  assert.ok(control, 'IOTMQTT_TEST_BROKER_CONTROL_PORT is set by scripts/services.sh');
  const { page, context } = await openPage(browser, base, 'mqtt');
  await connect(page, 'generic');
  await waitConnected(page);
  try {
    await fetch(`http://127.0.0.1:${control}/stop`);
    const status = page.locator('.connection-bar .status.reconnecting');
    await status.waitFor({ timeout: 15_000 });
    assert.match(await status.innerText(), /reconnecting in \d+ s \(attempt \d+\)/);
    await screenshot(page, 'generic-reconnecting');
  } finally {
    await fetch(`http://127.0.0.1:${control}/start`);
  }
  await page.locator('.connection-bar .status.connected').waitFor({ timeout: 40_000 });
  await context.close();
});
