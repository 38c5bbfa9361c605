// Generic MQTT page against mosquitto: subscribe with a colour, publish JSON, see it in the log
// and on the chart; and a 5-second load smoke run at 1,000 messages/s.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { brokerSaw } from '../harness/broker-log.mjs';
import { serveDist, launch, openPage, connect, waitConnected, screenshot, unnamedControls, assertFits, appUrl, eventually, DIST, WIDTH } from './lib.mjs';
import { mqttConnect } from './mqtt-publisher.mjs';
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
  // Issue 22, point 9: "published to e2e/sensor" is no longer true of a form whose topic changed.
  assert.equal(await page.locator('form[aria-label="Publish"] .ok').innerText(), 'published to e2e/sensor');
  await page.fill('#pub-topic', 'e2e/other');
  assert.equal(await page.locator('form[aria-label="Publish"] .ok').count(), 0);
  await page.fill('#pub-topic', 'e2e/sensor');
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

// Issue 22, point 8: each series has its own band and axis, a new JSON path keeps the old line, and
// the legend shows and hides series.
test('a new chart path keeps the old series, and the legend hides and shows each', async () => {
  const { page, context, errors } = await openPage(browser, base, 'mqtt');
  await connect(page, 'generic');
  await waitConnected(page);
  await page.fill('#sub-filter', 'e2echart/#');
  await page.getByRole('button', { name: 'Subscribe', exact: true }).click();
  await page.getByText('granted QoS 1').waitFor();
  await page.fill('#pub-topic', 'e2echart/s');
  const publish = async (n) => {
    for (let i = 0; i < n; i++) {
      await page.fill('#pub-payload', `{"value": ${1000 + i * 500}, "small": 0.${i + 1}}`);
      await page.getByRole('button', { name: 'Publish', exact: true }).click();
      await page.locator('form[aria-label="Publish"] .ok').waitFor();
    }
  };
  await publish(3);
  const legend = page.getByRole('group', { name: 'Series: press to show or hide' });
  await legend.getByRole('button', { name: 'value' }).waitFor();
  await page.fill('#chart-path', 'small');
  await publish(2);
  await legend.getByRole('button', { name: 'small' }).waitFor();
  const items = legend.getByRole('button');
  assert.deepEqual(await items.allInnerTexts(), ['value', 'small']);
  assert.deepEqual(await items.evaluateAll((b) => b.map((e) => e.getAttribute('aria-pressed'))), ['true', 'true']);
  const canvas = page.locator('canvas.chart');
  const twoBands = await canvas.evaluate((c) => c.clientHeight);
  await legend.getByRole('button', { name: 'value' }).click();
  assert.deepEqual(await items.evaluateAll((b) => b.map((e) => e.getAttribute('aria-pressed'))), ['false', 'true']);
  const oneBand = await canvas.evaluate((c) => c.clientHeight);
  assert.ok(oneBand < twoBands, `one band (${oneBand} px) is lower than two (${twoBands} px)`);
  await legend.getByRole('button', { name: 'value' }).click();
  assert.equal(await canvas.evaluate((c) => c.clientHeight), twoBands);
  assert.deepEqual(await unnamedControls(page), []);
  await screenshot(page, 'generic-chart-bands');
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
  // A publish nobody hears: mosquitto's PUBACK 0x10 "No matching subscribers" shows with it.
  await page.fill('#pub-topic', 'e2e5/nobody');
  await page.getByRole('button', { name: 'Publish', exact: true }).click();
  const ok = page.locator('form[aria-label="Publish"] .ok');
  await ok.waitFor();
  assert.equal(await ok.innerText(), 'published to e2e5/nobody · the broker: 0x10 No matching subscribers');
  await page.fill('#sub-filter', 'e2e5/#');
  await page.getByRole('button', { name: 'Subscribe', exact: true }).click();
  await page.getByText('granted QoS 1').waitFor();
  await page.fill('#pub-topic', 'e2e5/request');
  await page.locator('form[aria-label="Publish"] details.mqtt5 summary').click();
  await page.fill('#pub-content-type', 'application/json');
  await page.fill('#pub-response-topic', 'e2e5/reply');
  await page.fill('#pub-expiry', '120');
  await page.fill('#pub-user-properties', 'unit=C\nunit=F\nsite=lab');
  await page.getByRole('button', { name: 'Publish', exact: true }).click();
  await page.getByText('published to e2e5/request', { exact: true }).waitFor();
  // The row marks a message with properties; its detail view lists them.
  const row = page.locator('table.log tbody tr').first();
  await row.waitFor();
  assert.match(await row.locator('td').nth(3).innerText(), /⁵$/);
  await row.locator('td.time button').click();
  const detail = page.locator('section[aria-label="Message detail"]');
  assert.equal(await detail.locator('h4').innerText(), 'MQTT 5 properties (6)');
  const [names, values] = [await detail.locator('dt').allInnerTexts(), await detail.locator('dd').allInnerTexts()];
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

// Issue 21, point 3: on an MQTT 5 connection the subscribe form sets No Local, Retain Handling and a
// Subscription Identifier; the list shows them, and mosquitto applies them.
test('MQTT 5: subscription options from the form: no local, no retained, the identifier on each message', async () => {
  const { page, context, errors } = await openPage(browser, base, 'connections');
  await page.locator('.profile-list button.link', { hasText: 'Local mosquitto' }).click();
  await page.selectOption('#profile-version', '5');
  await page.getByRole('button', { name: 'Save and connect' }).click();
  await waitConnected(page);
  const publisher = await mqttConnect({ port: Number(process.env.IOTMQTT_TEST_BROKER_TCP_PORT), username: 'tester', password: 'secret', clientId: 'sub-options' });
  publisher.publish('e2e6/retained', 'kept', { retain: true });
  await page.fill('#sub-filter', 'e2e6/#');
  await page.locator('details.sub-options summary').click();
  // An identifier out of range is refused at its field, and no subscription is listed.
  await page.fill('#sub-identifier', '0');
  await page.getByRole('button', { name: 'Subscribe', exact: true }).click();
  assert.match(await page.locator('#sub-identifier-error').innerText(), /subscriptionIdentifier: must be from 1 to 268,435,455$/);
  assert.equal(await page.locator('ul.subs li').count(), 0);
  await page.fill('#sub-identifier', '7');
  await page.check('#sub-no-local');
  await page.selectOption('#sub-retain-handling', '2');
  await page.getByRole('button', { name: 'Subscribe', exact: true }).click();
  await page.getByText('granted QoS 1').waitFor();
  assert.equal(await page.locator('ul.subs li .sub-asked').innerText(), 'no local · retained: never · id 7');
  await screenshot(page, 'generic-subscription-options');
  // The page's own publish does not come back (No Local); the other client's does, once.
  await page.fill('#pub-topic', 'e2e6/mine');
  await page.getByRole('button', { name: 'Publish', exact: true }).click();
  await page.locator('form[aria-label="Publish"] .ok').waitFor();
  publisher.publish('e2e6/theirs', '{"value": 1}');
  await page.waitForFunction(() => document.querySelector('[data-testid=received]')?.textContent === '1 received');
  const rows = page.locator('table.log tbody tr');
  assert.equal(await rows.count(), 1);
  assert.equal(await rows.first().locator('td').nth(1).innerText(), 'e2e6/theirs');
  await rows.first().locator('td.time button').click();
  const detail = page.locator('section[aria-label="Message detail"]');
  assert.deepEqual(await detail.locator('dt').allInnerTexts(), ['Subscription identifiers']);
  assert.deepEqual(await detail.locator('dd').allInnerTexts(), ['7']);
  assert.deepEqual(await unnamedControls(page), []);
  assert.deepEqual(errors, []);
  await context.close();
  // The retained message goes, after the page, so that its removal is not a message it sees.
  publisher.publish('e2e6/retained', '', { retain: true });
  publisher.close();
});

// Issue 21, point 4: a generic MQTT 5 profile names an authentication method and its first data;
// the connection bar shows each challenge of the broker and sends the user's answer, and
// re-authenticates the connection. The broker's side is tests/js/hostile.mjs "/auth" (method "DEMO").
test('MQTT 5 enhanced authentication: the challenge answered in the connection bar, then a re-authentication', async () => {
  const { page, context, errors } = await openPage(browser, base, 'connections');
  await page.locator('.profile-list button.link', { hasText: 'Local mosquitto' }).click();
  await page.fill('#profile-url', `ws://127.0.0.1:${process.env.IOTMQTT_TEST_HOSTILE_PORT}/auth`);
  await page.selectOption('#profile-version', '5');
  await page.fill('#profile-auth-method', 'DEMO');
  await page.fill('#profile-auth-data', 'c1');
  // Issue 23: the dashboard reaches a shared connection through the Rust binding, which has no
  // authenticator yet, so a shared profile takes no method.
  await page.check('#profile-shared');
  assert.equal(await page.locator('#profile-auth-method-error').innerText(),
    'a shared connection has no authenticator in the dashboard yet: empty the method, or untick Share');
  assert.equal(await page.getByRole('button', { name: 'Save and connect' }).isDisabled(), true);
  await page.uncheck('#profile-shared');
  await page.getByRole('button', { name: 'Save and connect' }).click();
  const challenge = page.locator('[data-testid=auth-challenge]');
  await challenge.waitFor();
  assert.equal(await challenge.innerText(), 'The broker\'s challenge: "s1"');
  assert.equal(await page.locator('.connection-bar .status-text').innerText(), 'authenticating…');
  await screenshot(page, 'generic-auth-challenge');
  await page.fill('#auth-answer', 'c2');
  await page.getByRole('button', { name: 'Answer', exact: true }).click();
  await waitConnected(page);
  // Re-authentication: "r1", the challenge "s2", the answer "r2", and the broker's AUTH 0x00.
  await page.fill('#reauth-data', 'r1');
  await page.getByRole('button', { name: 'Re-authenticate' }).click();
  await challenge.waitFor();
  assert.equal(await challenge.innerText(), 'The broker\'s challenge: "s2"');
  await page.fill('#auth-answer', 'r2');
  await page.getByRole('button', { name: 'Answer', exact: true }).click();
  await page.locator('form[aria-label="Re-authenticate"] .ok').waitFor();
  assert.equal(await page.locator('form[aria-label="Re-authenticate"] .ok').innerText(), 're-authenticated');
  assert.equal(await page.locator('.connection-bar .status-text').innerText(), 'connected');
  assert.deepEqual(await unnamedControls(page), []);
  // A wrong answer: the broker's CONNACK 0x87 ends it, and the bar says so.
  await page.getByRole('button', { name: 'Disconnect' }).click();
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await challenge.waitFor();
  await page.fill('#auth-answer', 'wrong');
  await page.getByRole('button', { name: 'Answer', exact: true }).click();
  await page.locator('.connection-bar .status.failed').waitFor();
  assert.match(await page.locator('.connection-bar [role=alert]').innerText(), /^the broker refused the connection \(CONNACK 0x87, MQTT 5\)/);
  assert.deepEqual(errors, []);
  await context.close();
});

// Issue 22: the history keeps thousands of messages in a virtualised list, the topic tree counts
// them and filters the history, a message opens in full in four forms, and exports hold exactly the
// filtered messages.
{
  const width = WIDTH;
  test(`history: 3,000 messages, the topic tree, a message in full, NDJSON and CSV exports (${width} px)`, async () => {
    const { page, context, errors } = await openPage(browser, base, 'mqtt');
    const root = `hist${width}`;
    await connect(page, 'generic');
    await waitConnected(page);
    await page.fill('#sub-filter', `${root}/#`);
    await page.getByRole('button', { name: 'Subscribe', exact: true }).click();
    await page.getByText('granted QoS 1').waitFor();
    // Message i: JSON on a/x when i % 6 < 3, text "y i" on a/y when it is 3 or 4, two bytes on b when 5.
    const message = (i) => (i % 6 < 3 ? [`${root}/a/x`, `{"value":${i},"v":2.50}`]
      : i % 6 < 5 ? [`${root}/a/y`, `y ${i}`] : [`${root}/b`, Buffer.from([0xff, i % 256])]);
    const N = 3000;
    const publisher = await mqttConnect({ port: Number(process.env.IOTMQTT_TEST_BROKER_TCP_PORT), username: 'tester', password: 'secret', clientId: `hist-${width}` });
    for (let i = 0; i < N; i++) {
      publisher.publish(...message(i));
      if (i % 100 === 99) await new Promise((r) => setTimeout(r, 10));
    }
    await page.waitForFunction((n) => document.querySelector('[data-testid=received]')?.textContent === `${n} received`, N, { timeout: 20_000 });
    publisher.close();
    const count = page.locator('[data-testid=history-count]');
    assert.equal(await count.innerText(), '3000 of the 3000 kept (the newest 50000, up to 64 MB, are kept).');
    // Virtualised: 16 rows in view and 16 more drawn around them, whatever the history holds.
    const rows = page.locator('table.log tbody tr');
    assert.equal(await rows.count(), 32);
    assert.equal(await rows.first().locator('td.topic').innerText(), message(N - 1)[0]);
    // Scrolled to the end, the oldest message is there.
    await page.locator('.log-wrap.virtual').evaluate((el) => { el.scrollTop = el.scrollHeight; });
    await page.waitForFunction(() => document.querySelector('table.log tbody tr:last-child td.payload')?.textContent === '{"value":0,"v":2.50}');
    assert.equal(await rows.last().locator('td.topic').innerText(), `${root}/a/x`);
    await page.locator('.log-wrap.virtual').evaluate((el) => { el.scrollTop = 0; });

    // The topic tree: counts on each level and under it; selecting a level filters the history.
    const tree = page.locator('section[aria-label="Topic tree"]');
    const level = (path) => tree.locator(`tr[data-path="${path}"]`);
    assert.equal(await level(root).locator('td.count').innerText(), '0 / 3000');
    await tree.getByRole('button', { name: `Expand ${root}`, exact: true }).click();
    assert.equal(await level(`${root}/a`).locator('td.count').innerText(), '0 / 2500');
    assert.equal(await level(`${root}/b`).locator('td.count').innerText(), '500 / 500');
    await tree.getByRole('button', { name: `Expand ${root}/a`, exact: true }).click();
    assert.equal(await level(`${root}/a/x`).locator('td.count').innerText(), '1500 / 1500');
    assert.equal(await level(`${root}/a/x`).locator('td.payload').innerText(), '{"value":2996,"v":2.50}');
    await level(`${root}/a/y`).getByRole('button', { name: 'y', exact: true }).click();
    assert.equal(await page.inputValue('#log-filter'), `${root}/a/y/#`);
    assert.equal(await count.innerText(), '1000 of the 3000 kept (the newest 50000, up to 64 MB, are kept).');
    // And the payload text, any case.
    await page.fill('#log-text', 'Y 99');
    const expected = [...Array(N).keys()].filter((i) => i % 6 === 3 || i % 6 === 4).map((i) => `y ${i}`).filter((t) => t.includes('y 99'));
    assert.equal(await count.innerText(), `${expected.length} of the 3000 kept (the newest 50000, up to 64 MB, are kept).`);
    assert.deepEqual(await rows.locator('td.payload').allInnerTexts(), expected.reverse());

    // An export holds what the filter lets through, oldest first, in the chosen form.
    await page.fill('#log-text', '');
    await page.selectOption('#export-form', 'base64');
    const [ndjson] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export NDJSON' }).click()]);
    assert.match(ndjson.suggestedFilename(), /^iotmqtt-history-\d{4}-\d\d-\d\dT[\d-]+\.\d{3}Z\.ndjson$/);
    const lines = (await readFile(await ndjson.path(), 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l));
    const ys = [...Array(N).keys()].filter((i) => i % 6 === 3 || i % 6 === 4);
    assert.equal(lines.length, 1000);
    assert.deepEqual(lines.map((l) => [l.topic, l.qos, l.retain, Buffer.from(l.payload, 'base64').toString()]),
      ys.map((i) => [`${root}/a/y`, 0, false, `y ${i}`]));
    assert.match(lines[0].time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(await page.locator('[data-testid=exported]').innerText(), `Exported 1000 messages to ${ndjson.suggestedFilename()}.`);
    await tree.getByRole('button', { name: 'Show all topics' }).click();
    await page.selectOption('#export-form', 'hex');
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    const table = (await readFile(await csv.path(), 'utf8')).split('\r\n');
    assert.equal(table.length, N + 2, 'a header, a row per message, and the last line end');
    assert.equal(table[0], 'time,topic,qos,retain,payload');
    const hex = (p) => Buffer.from(p).toString('hex').toUpperCase();
    assert.deepEqual(table.slice(1, N + 1).map((r) => r.split(',').slice(1).join(',')),
      [...Array(N).keys()].map((i) => `${message(i)[0]},0,false,${hex(message(i)[1])}`));

    // A message in full: JSON indented as sent, hex, base64; binary refused as text.
    await rows.first().locator('td.time button').click();
    const detail = page.locator('section[aria-label="Message detail"]');
    const full = detail.locator('[data-testid=payload-full]');
    assert.equal(await detail.locator('.topic').innerText(), `${root}/b`);
    assert.equal(await detail.locator('p.hint').innerText(), 'not UTF-8 text: choose hex or base64');
    await page.selectOption('#detail-form', 'hex');
    assert.equal(await full.innerText(), hex(message(N - 1)[1]));
    await detail.getByRole('button', { name: 'Close' }).click();
    await rows.nth(3).locator('td.time button').click();
    assert.equal(await full.evaluate((e) => e.textContent), '{\n  "value": 2996,\n  "v": 2.50\n}');
    await page.selectOption('#detail-form', 'base64');
    assert.equal(await full.innerText(), Buffer.from(message(N - 4)[1]).toString('base64'));
    assert.deepEqual(await unnamedControls(page), []);
    await screenshot(page, 'generic-history');
    await assertFits(page, assert);
    assert.deepEqual(errors, []);
    await context.close();
  });
}

// The history is bounded in bytes as well as in messages: large payloads leave fewer messages kept
// instead of exhausting the tab's memory. The bound is 64 MB; `?historyMB=1` makes it 1 MB here: the
// test mosquitto's WebSocket listener delivers payloads this large at only 40 to 140 KB/s.
test('the history keeps at most its byte bound: 40 payloads of 20 KB leave the newest 26 in 1 MB', async () => {
  const { page, context, errors } = await openPage(browser, base, 'mqtt', { query: '&historyMB=1' });
  const topic = `big${WIDTH}/x`;
  await connect(page, 'generic');
  await waitConnected(page);
  await page.fill('#sub-filter', topic);
  await page.getByRole('button', { name: 'Subscribe', exact: true }).click();
  await page.getByText('granted QoS 1').waitFor();
  const publisher = await mqttConnect({ port: Number(process.env.IOTMQTT_TEST_BROKER_TCP_PORT), username: 'tester', password: 'secret', clientId: `big-${WIDTH}` });
  const letter = (i) => String.fromCharCode(97 + (i % 26));
  for (let i = 0; i < 40; i++) publisher.publish(topic, Buffer.alloc(20_000, letter(i)));
  await page.waitForFunction(() => document.querySelector('[data-testid=received]')?.textContent === '40 received', null, { timeout: 60_000 })
    .catch(async (e) => { throw new Error(`${e.message}: ${await page.locator('[data-testid=received]').innerText()}`); });
  publisher.close();
  // Each line holds its payload, its text (the same 20,000 bytes) and its topic: 26 fit in 1 MiB.
  const kept = Math.floor(1024 * 1024 / (2 * 20_000 + topic.length));
  assert.equal(kept, 26);
  assert.equal(await page.locator('[data-testid=history-count]').innerText(), `${kept} of the ${kept} kept (the newest 50000, up to 1 MB, are kept).`);
  // Newest first: message 39 down to message 14, the oldest kept.
  const firstLetters = (await page.locator('table.log tbody td.payload').allInnerTexts()).map((t) => t[0]);
  assert.deepEqual(firstLetters, [...Array(kept).keys()].map((k) => letter(39 - k)));
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

// Issue 23: two tabs of the dashboard on one generic MQTT 5 profile with "Share" ticked use one
// connection at the broker (counted in its log, tests/harness/broker.py), each tab its own
// subscriptions and messages, a publish's properties reach the other tab with that tab's own
// Subscription Identifier, another No Local for a filter the other tab holds is refused at the
// filter, and the connection bar says how many tabs share it.
test('two tabs on a shared profile: one connection at the broker, each tab its own messages, the tab count in the bar', async () => {
  const clientId = `e2e-shared-${WIDTH}-${process.pid}`;
  const saw = () => brokerSaw(process.env.IOTMQTT_TEST_BROKER_LOG, clientId);
  const { page: a, context, errors } = await openPage(browser, base, 'connections');
  await a.locator('.profile-list button.link', { hasText: 'Local mosquitto' }).click();
  await a.fill('#profile-client-id', clientId);
  await a.check('#profile-shared');
  await a.selectOption('#profile-version', '5');
  await a.getByRole('button', { name: 'Save and connect' }).click();
  await waitConnected(a);
  const tabs = (p) => p.locator('.connection-bar .shared-tabs');
  await a.waitForFunction(() => document.querySelector('.connection-bar .shared-tabs')?.textContent === 'only this tab on the shared connection');
  // The second tab: the same browser profile, so the same saved profile and the same SharedWorker.
  const b = await context.newPage();
  b.on('pageerror', (e) => errors.push(String(e)));
  await b.goto(appUrl(base, 'mqtt'));
  await connect(b, 'generic');
  await waitConnected(b);
  for (const p of [a, b]) await p.waitForFunction(() => document.querySelector('.connection-bar .shared-tabs')?.textContent === '2 tabs share this connection');
  const subscribe = async (p, filter, { identifier, noLocal } = {}) => {
    await p.fill('#sub-filter', filter);
    if (identifier || noLocal) {
      await p.locator('details.sub-options summary').click();
      if (identifier) await p.fill('#sub-identifier', identifier);
      if (noLocal) await p.check('#sub-no-local');
    }
    await p.getByRole('button', { name: 'Subscribe', exact: true }).click();
    if (!noLocal) await p.getByText('granted QoS 1').first().waitFor();
  };
  await subscribe(a, 'e2eshared/a/#');
  // MQTT 5 options on the shared session: B's Subscription Identifier is its own; A asking for B's
  // filter with another No Local is refused at the filter, and no row is listed for it.
  await subscribe(b, 'e2eshared/#', { identifier: '4' });
  await subscribe(a, 'e2eshared/#', { noLocal: true });
  await a.locator('#sub-filter-error').waitFor();
  assert.equal(await a.locator('#sub-filter-error').innerText(),
    'this tab subscribes to e2eshared/# with another noLocal than the tabs already subscribed to it');
  assert.deepEqual(await a.locator('ul.subs li code').allInnerTexts(), ['e2eshared/a/#']);
  await a.uncheck('#sub-no-local');
  const publisher = await mqttConnect({ port: Number(process.env.IOTMQTT_TEST_BROKER_TCP_PORT), username: 'tester', password: 'secret', clientId: `${clientId}-pub` });
  try {
    publisher.publish('e2eshared/a/1', 'one');
    publisher.publish('e2eshared/b/1', 'two');
    const rows = (p) => p.locator('table.log tbody tr');
    await rows(b).nth(1).waitFor();
    await rows(a).nth(0).waitFor();
    const topics = (p) => p.locator('table.log tbody tr td.topic').allInnerTexts();
    assert.deepEqual(await topics(a), ['e2eshared/a/1']);
    assert.deepEqual((await topics(b)).sort(), ['e2eshared/a/1', 'e2eshared/b/1']);
    assert.equal(await tabs(a).innerText(), '2 tabs share this connection');
    // A publish's properties go to the other tab, with that tab's own Subscription Identifier.
    await a.fill('#pub-topic', 'e2eshared/b/2');
    await a.locator('form[aria-label="Publish"] details.mqtt5 summary').click();
    await a.fill('#pub-content-type', 'text/plain');
    await a.fill('#pub-user-properties', 'from=a');
    await a.getByRole('button', { name: 'Publish', exact: true }).click();
    await a.getByText('published to e2eshared/b/2', { exact: true }).waitFor();
    await rows(b).nth(2).waitFor();
    await rows(b).first().locator('td.time button').click();
    const detail = b.locator('section[aria-label="Message detail"]');
    assert.equal(await detail.locator('h4').innerText(), 'MQTT 5 properties (3)');
    assert.deepEqual(await detail.locator('dt').allInnerTexts(), ['Content type', 'User property from', 'Subscription identifiers']);
    assert.deepEqual(await detail.locator('dd').allInnerTexts(), ['text/plain', 'a', '4']);
    assert.deepEqual(await topics(a), ['e2eshared/a/1']);
    // A retained message on a filter A holds: B subscribing to that filter gets it (the broker sends
    // it again for B's SUBSCRIBE), and A does not get it twice. B also holds e2eshared/#, so it has
    // the live copy too, as a client of its own would.
    publisher.publish('e2eshared/a/kept', 'kept', { retain: true });
    await rows(a).nth(1).waitFor();
    await rows(b).nth(3).waitFor();
    await subscribe(b, 'e2eshared/a/#');
    await rows(b).nth(4).waitFor();
    publisher.publish('e2eshared/a/2', 'marker');
    await rows(a).nth(2).waitFor();
    await rows(b).nth(5).waitFor();
    assert.deepEqual(await topics(a), ['e2eshared/a/2', 'e2eshared/a/kept', 'e2eshared/a/1']);
    assert.deepEqual((await topics(b)).sort(),
      ['e2eshared/a/1', 'e2eshared/a/2', 'e2eshared/a/kept', 'e2eshared/a/kept', 'e2eshared/b/1', 'e2eshared/b/2']);
    await screenshot(b, 'generic-shared');
    // B leaves: its filter's last interest goes, A's connection and messages stay.
    await b.getByRole('button', { name: 'Disconnect', exact: true }).click();
    await a.waitForFunction(() => document.querySelector('.connection-bar .shared-tabs')?.textContent === 'only this tab on the shared connection');
    await eventually(() => saw().unsubscribes.length === 1, 5_000, 'the UNSUBSCRIBE');
    assert.deepEqual(saw(), { connections: 1, subscribes: ['e2eshared/a/#', 'e2eshared/#', 'e2eshared/a/#'], unsubscribes: ['e2eshared/#'], disconnects: 0 });
    assert.equal(await tabs(b).count(), 0);
  } finally {
    publisher.publish('e2eshared/a/kept', '', { retain: true });
    publisher.close();
  }
  assert.deepEqual(errors, []);
  await context.close();
});
