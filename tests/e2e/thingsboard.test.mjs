// ThingsBoard device page against the simulator: telemetry reaches the server, a reply rule
// answers a server RPC, a firmware update runs to UPDATED with the progress bar moving, and
// bad credentials read as a sentence a user can act on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { serveDist, launch, openPage, connect, waitConnected, admin, eventually, screenshot, unnamedControls, simPort, sharedTabs, twoSharedTabs } from './lib.mjs';

const DEVICE = 'Demo%20Thermostat';
let browser, server, base;
before(async () => { ({ server, base } = await serveDist()); browser = await launch(); });
after(async () => { await browser?.close(); server?.close(); });

async function connectedDevicePage() {
  const opened = await openPage(browser, base, 'thingsboard');
  await connect(opened.page, 'tb-device');
  await waitConnected(opened.page);
  return opened;
}

test('telemetry sent from the composer reaches the simulator', async () => {
  const { page, context, errors } = await connectedDevicePage();
  const value = Math.round(Math.random() * 10000) / 100;
  await page.fill('#tb-key-0', 'e2eTemperature');
  await page.fill('#tb-value-0', String(value));
  await page.getByRole('button', { name: 'Send telemetry' }).click();
  await page.locator('form[aria-label="Telemetry composer"] .ok').waitFor();
  const latest = await eventually(async () => {
    const r = await admin(`/api/plugins/telemetry/DEVICE/${DEVICE}/values/timeseries?keys=e2eTemperature&useStrictDataTypes=true`);
    return r.json?.e2eTemperature?.[0]?.value === value && r.json.e2eTemperature[0];
  }, 10_000, 'the telemetry in the admin API');
  assert.equal(latest.value, value);
  // Invalid raw JSON is refused as you type, next to the field.
  await page.getByRole('button', { name: 'Raw JSON' }).click();
  await page.fill('#tb-telemetry-json', '{"ts": 1, "values": ');
  assert.match(await page.locator('#tb-telemetry-json-error').innerText(), /not valid JSON/);
  await page.fill('#tb-telemetry-json', '[{"ts": 1700000000000, "values": {"e2eRaw": 1}}]');
  await page.getByRole('button', { name: 'Key-value' }).click();
  assert.deepEqual(await unnamedControls(page), []);
  await screenshot(page, 'thingsboard-device');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a reply rule answers a server-side RPC', async () => {
  const { page, context } = await connectedDevicePage();
  await page.fill('#rule-method', 'setValue');
  await page.selectOption('#rule-mode', 'fixed');
  await page.fill('#rule-fixed', '{"ok": true, "from": "rule"}');
  await page.getByRole('button', { name: 'Add rule' }).click();
  await page.locator('ul.rules code', { hasText: 'setValue' }).waitFor();
  const r = await admin(`/api/rpc/twoway/${DEVICE}`, { method: 'POST', body: { method: 'setValue', params: { v: 7 }, timeout: 5000 } });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { ok: true, from: 'rule' });
  await page.locator('table[aria-label="RPC log"] td.outcome', { hasText: 'replied' }).first().waitFor();
  // A method without a rule is answered with an error at once, and its row says so (issue 22, point 2).
  await admin(`/api/rpc/twoway/${DEVICE}`, { method: 'POST', body: { method: 'noSuchMethod', params: {}, timeout: 5000 } });
  const unruled = page.locator('table[aria-label="RPC log"] tr', { hasText: 'noSuchMethod' });
  await unruled.locator('td.outcome', { hasText: 'no reply rule: answered error "unknown method: noSuchMethod"' }).waitFor();
  assert.equal(await unruled.getAttribute('class'), 'failed');
  // A manual rule counts down; the operator's reply goes back to the server.
  await page.fill('#rule-method', 'askOperator');
  await page.selectOption('#rule-mode', 'manual');
  await page.fill('#rule-timeout', '20');
  await page.getByRole('button', { name: 'Add rule' }).click();
  await page.locator('ul.rules code', { hasText: 'askOperator' }).waitFor();
  const pending = admin(`/api/rpc/twoway/${DEVICE}`, { method: 'POST', body: { method: 'askOperator', params: {}, timeout: 15000 } });
  const form = page.locator('form.manual');
  await form.waitFor();
  assert.match(await form.locator('[role=timer]').innerText(), /\d+ s left/);
  await form.locator('input').fill('{"answer": 42}');
  await form.getByRole('button', { name: 'Send reply' }).click();
  const manual = await pending;
  assert.deepEqual(manual.json, { answer: 42 });
  // A client-side call shows its result.
  await page.fill('#call-method', 'getTime');
  await page.getByRole('button', { name: 'Call', exact: true }).click();
  await page.locator('form[aria-label="Client-side RPC"] ~ .ok', { hasText: 'getTime returned' }).waitFor();
  await screenshot(page, 'thingsboard-rpc');
  await context.close();
});

// Issue 22: the reply rules and the RPC history are the profile's, kept across a reload; an RPC
// still waiting for the operator when the page went away is closed with the reason.
test('reply rules and the RPC history come back after a reload', async () => {
  const { page, context, errors } = await connectedDevicePage();
  const addRule = async (method, mode, field, value) => {
    await page.fill('#rule-method', method);
    await page.selectOption('#rule-mode', mode);
    await page.fill(field, value);
    await page.getByRole('button', { name: 'Add rule' }).click();
    await page.locator('ul.rules code', { hasText: method }).waitFor();
  };
  await addRule('keptRule', 'fixed', '#rule-fixed', '{"kept": 1}');
  await addRule('askLater', 'manual', '#rule-timeout', '60');
  const rpc = (method, timeout = 5000) => admin(`/api/rpc/twoway/${DEVICE}`, { method: 'POST', body: { method, params: { n: 1 }, timeout } });
  assert.deepEqual((await rpc('keptRule')).json, { kept: 1 });
  const waiting = rpc('askLater', 3000).catch(() => null);
  await page.locator('form.manual').waitFor();
  const rows = page.locator('table[aria-label="RPC log"] tbody tr');
  const summary = async () => (await rows.all()).map(async (r) => [
    await r.locator('code').innerText(), await r.locator('td.outcome').innerText()]);
  await page.reload();
  await waiting;
  await connect(page, 'tb-device');
  await waitConnected(page);
  assert.deepEqual(await page.locator('ul.rules code').allInnerTexts(), ['keptRule', 'askLater']);
  assert.deepEqual(await Promise.all(await summary()), [
    ['askLater', 'no answer: the page was reloaded before it came'],
    ['keptRule', 'replied {"kept":1}'],
  ]);
  // The rule answers again, and the history goes on from where it was.
  assert.deepEqual((await rpc('keptRule')).json, { kept: 1 });
  await page.waitForFunction(() => document.querySelectorAll('table[aria-label="RPC log"] tbody tr').length === 3);
  assert.deepEqual((await Promise.all(await summary())).map(([m]) => m), ['keptRule', 'askLater', 'keptRule']);
  // A memory from before the rules had a key of their own (kept with the history): its rules move
  // to that key, and a row logged afterwards leaves them there.
  const keys = await page.evaluate(() => {
    const key = Object.keys(localStorage).find((k) => k.startsWith('iotmqtt.dashboard.rpc-rules.v1.'));
    const old = key.replace('rpc-rules', 'rpc');
    const memory = JSON.parse(localStorage.getItem(old));
    memory.rules = JSON.parse(localStorage.getItem(key));
    localStorage.setItem(old, JSON.stringify(memory));
    localStorage.removeItem(key);
    return [key, old];
  });
  await page.reload();
  await connect(page, 'tb-device');
  await waitConnected(page);
  assert.deepEqual(await page.locator('ul.rules code').allInnerTexts(), ['keptRule', 'askLater']);
  assert.deepEqual((await rpc('keptRule')).json, { kept: 1 });
  await page.waitForFunction(() => document.querySelectorAll('table[aria-label="RPC log"] tbody tr').length === 4);
  const stored = await page.evaluate(([key, old]) =>
    [JSON.parse(localStorage.getItem(key)).map((r) => r.method), JSON.parse(localStorage.getItem(old)).rules], keys);
  assert.deepEqual(stored, [['keptRule', 'askLater'], []]);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a firmware update runs to UPDATED and the progress bar moves', async () => {
  const { page, context } = await connectedDevicePage();
  await page.fill('#fw-chunk', '1024');
  await page.getByRole('button', { name: 'Start firmware agent' }).click();
  await page.locator('#fw-chunk').waitFor({ state: 'detached' });
  // A package left on the server by an earlier run installs first; wait until the agent is idle.
  await page.locator('[data-testid=fw-state]', { hasText: /^(waiting|UPDATED|FAILED)$/ }).waitFor({ timeout: 30_000 });
  await page.evaluate(() => {
    window.__progress = [];
    const seen = () => {
      const bar = document.querySelector('progress[aria-label="Firmware download"]');
      if (bar) window.__progress.push(Number(bar.getAttribute('value')));
    };
    new MutationObserver(seen).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['value'] });
  });
  const version = `2.0.${Date.now() % 100000}`;
  const image = randomBytes(96 * 1024);
  const up = await fetch(`http://127.0.0.1:${simPort()}/api/sim/thingsboard/devices/${DEVICE}/firmware?title=demo-firmware&version=${version}&algorithm=SHA256`,
    { method: 'POST', body: image });
  assert.equal(up.status, 200, await up.text());
  try {
    await page.locator('[data-testid=fw-current]', { hasText: version }).waitFor({ timeout: 30_000 });
  } finally {
    await screenshot(page, 'thingsboard-firmware');
  }
  const seen = await page.evaluate(() => window.__progress);
  const between = new Set(seen.filter((v) => v > 0 && v < image.length));
  assert.ok(between.size >= 2, `the progress bar showed intermediate values: ${JSON.stringify([...new Set(seen)])}`);
  assert.match(await page.locator('.progress-detail').innerText(), /98304 \/ 98304 bytes, chunk 96 of 96/);
  assert.match(await page.locator('[data-testid=fw-checksum]').innerText(), /SHA256 [0-9a-f]{64} matches/);
  assert.match(await page.locator('[data-testid=fw-current]').innerText(), new RegExp(`demo-firmware ${version.replace(/\./g, '\\.')}`));
  const steps = await page.locator('ol.fw-steps strong').allInnerTexts();
  assert.deepEqual(steps, ['DOWNLOADING', 'DOWNLOADED', 'VERIFIED', 'UPDATING', 'UPDATED']);
  const device = await eventually(async () => {
    const r = await admin(`/api/sim/thingsboard/devices/${DEVICE}`);
    return r.json?.fwState === 'UPDATED' && r.json;
  }, 10_000, 'fwState UPDATED on the server');
  assert.equal(device.fwState, 'UPDATED');
  await screenshot(page, 'thingsboard-firmware');
  await context.close();
});

test('shared attributes update live, deletions are shown, and provisioning makes a profile', async () => {
  const { page, context } = await connectedDevicePage();
  const key = `e2eShared${Date.now() % 100000}`;
  const set = await admin(`/api/plugins/telemetry/DEVICE/${DEVICE}/SHARED_SCOPE`, { method: 'POST', body: { [key]: 17.5 } });
  assert.equal(set.status, 200, set.text);
  const row = page.locator('table[aria-label="Attribute table"] tr', { hasText: key });
  await row.locator('td.payload', { hasText: '17.5' }).waitFor();
  const del = await admin(`/api/plugins/telemetry/DEVICE/${DEVICE}/SHARED_SCOPE?keys=${key}`, { method: 'DELETE' });
  assert.equal(del.status, 200, del.text);
  await page.locator('table[aria-label="Attribute table"] tr.deleted', { hasText: key }).waitFor();
  // Client attributes go out and come back on request.
  await page.fill('#attr-json', '{"e2eClient": "yes"}');
  await page.getByRole('button', { name: 'Publish client attributes' }).click();
  await page.fill('#attr-client-keys', 'e2eClient');
  await page.getByRole('button', { name: 'Request' }).click();
  await page.locator('section[aria-label="Attributes"] .ok', { hasText: 'attributes received' }).waitFor();
  // Provisioning: the returned token becomes a profile in one click.
  const name = `E2E provisioned ${Date.now()}`;
  await page.fill('#prov-name', name);
  await page.getByRole('button', { name: 'Provision', exact: true }).click();
  await page.locator('form[aria-label="Provisioning"] .ok', { hasText: 'provisioned: access token' }).waitFor();
  // Issue 22, point 1: the generated token is shown once, with a copy button, and saving it is opt-in.
  const generated = page.getByRole('region', { name: 'Generated credentials' });
  assert.deepEqual(await generated.locator('dt').allInnerTexts(), ['Access token']);
  const token = await generated.locator('dd code').innerText();
  assert.match(token, /^\S{8,}$/);
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await generated.getByRole('button', { name: 'Copy secret' }).click();
  await generated.locator('.ok', { hasText: 'Copied.' }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), token);
  assert.equal(await page.isChecked('#prov-remember'), false);
  await page.getByRole('button', { name: 'Save as new profile' }).click();
  await page.locator('#tb-device-profile option', { hasText: name }).waitFor({ state: 'attached' });
  assert.equal(await page.getByTestId('saved-secret').innerText(),
    'Saved without its secret: it connects until this page closes; after a reload, paste the copied secret into the profile.');
  const stored = JSON.parse(await page.evaluate(() => localStorage.getItem('iotmqtt.dashboard.profiles.v1')));
  assert.equal(stored.find((p) => p.name === name).secret, '');
  // Connected, the profile list is locked: the new profile connects from the wizard (issue 22, point 9).
  const provisioning = page.locator('form[aria-label="Provisioning"]');
  await provisioning.locator('.ok', { hasText: 'Profile added. "Connect with it" replaces this page\'s connection.' }).waitFor();
  await screenshot(page, 'thingsboard-attributes');
  await provisioning.getByRole('button', { name: 'Connect with it' }).click();
  await waitConnected(page);
  assert.equal(await page.locator('#tb-device-profile option:checked').innerText(), name);
  await context.close();
});

test("provisioning with MQTT basic credentials of the device's choosing makes a profile that connects", async () => {
  const { page, context, errors } = await openPage(browser, base, 'thingsboard');
  const name = `E2E basic ${Date.now()}`;
  const clientId = `e2e-basic-${Date.now() % 1000000}`;
  await page.fill('#prov-name', name);
  await page.selectOption('#prov-credentials', 'basic');
  await page.getByRole('button', { name: 'Provision', exact: true }).click();
  await page.locator('form[aria-label="Provisioning"] .field-error', { hasText: 'enter a client id, a user name or both' }).waitFor();
  await page.fill('#prov-client-id', clientId);
  await page.fill('#prov-username', 'e2e-user');
  await page.fill('#prov-password', 'e2e-pass');
  await page.getByRole('button', { name: 'Provision', exact: true }).click();
  await page.locator('form[aria-label="Provisioning"] .ok', { hasText: `provisioned: MQTT basic: client id ${clientId}, user e2e-user` }).waitFor();
  const generated = page.getByRole('region', { name: 'Generated credentials' });
  assert.deepEqual(await generated.locator('dd code').allInnerTexts(), [clientId, 'e2e-user', 'e2e-pass']);
  // Remembered when asked: the password is stored with the profile.
  await page.check('#prov-remember');
  await page.getByRole('button', { name: 'Save as new profile' }).click();
  await page.locator('#tb-device-profile option', { hasText: name }).waitFor({ state: 'attached' });
  assert.equal(await page.getByTestId('saved-secret').innerText(), 'Saved with its secret: the profile connects after a reload too.');
  const stored = JSON.parse(await page.evaluate(() => localStorage.getItem('iotmqtt.dashboard.profiles.v1')));
  assert.equal(stored.find((p) => p.name === name).secret, 'e2e-pass');
  await connect(page, 'tb-device', name);
  await waitConnected(page);
  assert.deepEqual(errors, []);
  await context.close();
});

// A refused token reads as a sentence a user can act on, on a connection of the page's own and on
// the shared session (issue 23) alike.
test('bad credentials are shown as a readable error, on a connection of its own and a shared one', async () => {
  for (const shared of [false, true]) {
    const { page, context } = await openPage(browser, base, 'connections');
    await page.getByRole('button', { name: '+ ThingsBoard device' }).click();
    await page.fill('#profile-name', shared ? 'Wrong shared token' : 'Wrong token');
    await page.fill('#profile-url', `ws://127.0.0.1:${simPort()}/mqtt/thingsboard`);
    await page.fill('#profile-secret', 'not-a-real-token');
    if (shared) await page.check('#profile-shared');
    await page.getByRole('button', { name: 'Save and connect' }).click();
    const status = page.locator('.connection-bar .status.failed');
    await status.waitFor({ timeout: 10_000 });
    assert.match(await status.innerText(), /ThingsBoard refused the access token \(CONNACK 0x05\): check the device's credentials/, `shared: ${shared}`);
    if (!shared) await screenshot(page, 'bad-credentials');
    await context.close();
  }
});

// Issue 23: two tabs of the dashboard on the ThingsBoard device with "Share" ticked use one
// connection at the server (the simulator counts the device's sessions). Both tabs have the reply
// rule; a server RPC runs in the tab that holds the method's turn, once, and the other tab's log says
// which tab answered. When that tab leaves, the other one runs the method.
test('two tabs on a shared ThingsBoard device: one connection, a server RPC run once, by the next tab after the first leaves', async () => {
  const connections = async () => (await admin(`/api/sim/thingsboard/devices/${DEVICE}`)).json.connections;
  const rpc = () => admin(`/api/rpc/twoway/${DEVICE}`, { method: 'POST', body: { method: 'sharedPing', params: {}, timeout: 5000 } });
  const outcomes = (p) => p.locator('table[aria-label="RPC log"] tr', { hasText: 'sharedPing' }).locator('td.outcome').allInnerTexts();
  // B opens the page after A saved the rule, so it has the rule too, and waits for its turn.
  const { a, b, context, errors } = await twoSharedTabs(browser, base, 'Demo Thermostat (simulator)', async (a) => {
    await a.fill('#rule-method', 'sharedPing');
    await a.selectOption('#rule-mode', 'fixed');
    await a.fill('#rule-fixed', '{"pong": true}');
    await a.getByRole('button', { name: 'Add rule' }).click();
    await a.locator('ul.rules code', { hasText: 'sharedPing' }).waitFor();
  });
  await b.locator('ul.rules code', { hasText: 'sharedPing' }).waitFor();
  await eventually(async () => (await connections()) === 1, 5_000, 'one connection for the device');
  const first = await rpc();
  assert.equal(first.status, 200, first.text);
  assert.deepEqual(first.json, { pong: true });
  await eventually(async () => (await outcomes(a)).length === 1 && (await outcomes(b)).length === 1, 5_000, 'a row in each tab');
  assert.deepEqual(await outcomes(a), ['replied {"pong":true}']);
  assert.deepEqual(await outcomes(b), ['left to the tab whose turn it is on this shared connection']);
  // A method no tab has a rule for: one tab answers "unknown method", and each tab's log says so.
  const unknown = await admin(`/api/rpc/twoway/${DEVICE}`, { method: 'POST', body: { method: 'noRuleAnywhere', params: {}, timeout: 5000 } });
  assert.equal(unknown.status, 200, unknown.text);
  assert.deepEqual(unknown.json, { error: 'unknown method: noRuleAnywhere' });
  for (const p of [a, b]) {
    const row = p.locator('table[aria-label="RPC log"] tr', { hasText: 'noRuleAnywhere' }).locator('td.outcome');
    await row.waitFor();
    assert.equal(await row.innerText(), 'no reply rule here: a tab with one answers, or one tab answers "unknown method: noRuleAnywhere"');
  }
  // Each tab's own client attributes request is answered in that tab.
  for (const p of [a, b]) {
    await p.fill('#attr-client-keys', 'e2eClient');
    await p.getByRole('button', { name: 'Request' }).click();
  }
  for (const p of [a, b]) await p.locator('section[aria-label="Attributes"] .ok', { hasText: 'attributes received' }).waitFor();
  assert.equal(await connections(), 1);
  await screenshot(b, 'thingsboard-shared');
  // A leaves: B is given the turn and runs the next one.
  await a.getByRole('button', { name: 'Disconnect', exact: true }).click();
  await sharedTabs(b, 'only this tab on the shared connection');
  const second = await rpc();
  assert.equal(second.status, 200, second.text);
  await eventually(async () => (await outcomes(b)).length === 2, 5_000, "B's second row");
  assert.deepEqual(await outcomes(b), ['replied {"pong":true}', 'left to the tab whose turn it is on this shared connection']);
  assert.equal(await connections(), 1);
  assert.deepEqual(errors, []);
  await context.close();
});

// The reply rules are the profile's, one list for every tab on it: a rule added or removed in one
// tab is in the other at once, and a row the other tab logs afterwards does not write back the
// rules it had (before, each tab saved its own rules with each row, and the last one won).
test('two tabs on one ThingsBoard profile keep one list of reply rules', async () => {
  const { a, b, context, errors } = await twoSharedTabs(browser, base, 'Demo Thermostat (simulator)');
  const rules = (p) => p.locator('ul.rules code').allInnerTexts();
  const addRule = async (p, method) => {
    await p.fill('#rule-method', method);
    await p.selectOption('#rule-mode', 'fixed');
    await p.fill('#rule-fixed', '{"ok": true}');
    await p.getByRole('button', { name: 'Add rule' }).click();
  };
  await addRule(a, 'fromA');
  await b.locator('ul.rules code', { hasText: 'fromA' }).waitFor();
  await addRule(b, 'fromB');
  await a.locator('ul.rules code', { hasText: 'fromB' }).waitFor();
  await b.getByRole('button', { name: 'Remove rule fromA' }).click();
  await eventually(async () => (await rules(a)).length === 1, 5_000, "A's list without fromA");
  assert.deepEqual(await rules(a), ['fromB']);
  assert.deepEqual(await rules(b), ['fromB']);
  // A row logged in both tabs after the change, then a third tab on the profile: it starts with the
  // rules both show.
  const unknown = await admin(`/api/rpc/twoway/${DEVICE}`, { method: 'POST', body: { method: 'noRuleHere', params: {}, timeout: 5000 } });
  assert.equal(unknown.status, 200, unknown.text);
  for (const p of [a, b]) await p.locator('table[aria-label="RPC log"] tr', { hasText: 'noRuleHere' }).waitFor();
  const c = await context.newPage();
  c.on('pageerror', (e) => errors.push(String(e)));
  await c.goto(a.url());
  await c.getByRole('button', { name: 'Connect', exact: true }).click();
  await waitConnected(c);
  await c.locator('ul.rules code').first().waitFor();
  assert.deepEqual(await rules(c), ['fromB']);
  assert.deepEqual(errors, []);
  await context.close();
});

// Issue 23: on a shared device, one tab's firmware agent at a time updates it (the device's
// firmware turn). Both tabs start their agent; the package goes through A's, which started first,
// and B's reports nothing. When A stops its agent, B's takes the turn and updates from the version
// it runs, while A stays connected.
test('two tabs on a shared ThingsBoard device: one firmware agent updates the device, the other after the first stops', async () => {
  const { a, b, context, errors } = await twoSharedTabs(browser, base, 'Demo Thermostat (simulator)', async (a) => {
    await a.getByRole('button', { name: 'Start firmware agent' }).click();
    await a.locator('#fw-chunk').waitFor({ state: 'detached' });
    // A package left on the server by an earlier test installs first; wait until A's agent is idle.
    await a.locator('[data-testid=fw-state]', { hasText: /^(waiting|UPDATED|FAILED)$/ }).waitFor({ timeout: 30_000 });
  });
  await b.getByRole('button', { name: 'Start firmware agent' }).click();
  await b.locator('#fw-chunk').waitFor({ state: 'detached' });
  // Each panel says whose agent updates the device (it may first show the turn still on its way).
  const HOLDS = "This tab's agent updates the device; the other tabs sharing the connection wait for their turn.";
  const WAITS = "Another tab's agent updates the device: this one takes the turn when that tab disconnects.";
  const hint = (p, text) => p.waitForFunction((t) => document.querySelector('[data-testid=fw-turn]')?.textContent === t, text);
  await hint(a, HOLDS);
  await hint(b, WAITS);
  const version = `3.0.${Date.now() % 100000}`;
  const up = await fetch(`http://127.0.0.1:${simPort()}/api/sim/thingsboard/devices/${DEVICE}/firmware?title=demo-firmware&version=${version}&algorithm=SHA256`,
    { method: 'POST', body: randomBytes(20 * 1024) });
  assert.equal(up.status, 200, await up.text());
  await a.locator('[data-testid=fw-current]', { hasText: version }).waitFor({ timeout: 30_000 });
  assert.deepEqual(await a.locator('ol.fw-steps strong').allInnerTexts(), ['DOWNLOADING', 'DOWNLOADED', 'VERIFIED', 'UPDATING', 'UPDATED']);
  const device = await eventually(async () => {
    const r = await admin(`/api/sim/thingsboard/devices/${DEVICE}`);
    return r.json?.fwState === 'UPDATED' && r.json;
  }, 10_000, 'fwState UPDATED on the server');
  assert.equal(device.fwState, 'UPDATED');
  assert.equal(await b.locator('ol.fw-steps li').count(), 0);
  assert.equal(await b.getByTestId('fw-state').innerText(), 'waiting');
  assert.equal(await b.getByTestId('fw-current').innerText(), 'demo-firmware 1.0.0');
  // A stops its agent: B's is given the turn, finds the package it does not run, and installs it.
  await a.getByRole('button', { name: 'Stop firmware agent' }).click();
  await a.locator('#fw-chunk').waitFor();
  await b.locator('[data-testid=fw-current]', { hasText: version }).waitFor({ timeout: 30_000 });
  assert.deepEqual(await b.locator('ol.fw-steps strong').allInnerTexts(), ['DOWNLOADING', 'DOWNLOADED', 'VERIFIED', 'UPDATING', 'UPDATED']);
  assert.equal(await b.getByTestId('fw-turn').innerText(), HOLDS);
  assert.equal(await a.getByTestId('fw-turn').count(), 0);
  for (const p of [a, b]) await sharedTabs(p, '2 tabs share this connection');
  assert.deepEqual(errors, []);
  await context.close();
});
