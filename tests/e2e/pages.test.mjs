// Every page renders, with screenshots: the connection profiles (light and dark), the gateway
// page with 100 simulated sub-devices, and a dark-theme ThingsBoard page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { serveDist, launch, openPage, connect, waitConnected, admin, eventually, sharedTabs, twoSharedTabs, screenshot, unnamedControls, assertFits, WIDTH } from './lib.mjs';

let browser, server, base;
before(async () => { ({ server, base } = await serveDist()); browser = await launch(); });
after(async () => { await browser?.close(); server?.close(); });

test('the connections page lists the ready-made simulator profiles', async () => {
  for (const colorScheme of ['light', 'dark']) {
    const { page, context, errors } = await openPage(browser, base, 'connections', { colorScheme });
    const names = await page.locator(".profile-list button.link strong").allInnerTexts();
    // The first screen says what to do (issue 22, point 9).
    assert.deepEqual(await page.getByRole('list', { name: 'Start here' }).locator('li').allInnerTexts(), [
      'Pick a profile below: the ready-made ones reach the local simulator, no account needed.',
      'Press "Save and connect" in its form, or "Open page" and Connect there.',
      "The platform's page opens: send telemetry, answer RPCs, push downlinks.",
    ]);
    assert.deepEqual(names, ['Demo Thermostat (simulator)', 'Demo Gateway (simulator)', 'demo-app@ttn (simulator)',
      'Demo plug (simulator)', 'Local mosquitto']);
    await page.locator('details.bridge-help summary').click();
    assert.match(await page.locator('details.bridge-help pre').innerText(), /websockify --ssl-target 127\.0\.0\.1:9001 thingsboard\.cloud:8883/);
    // Every control has an accessible name.
    const unnamed = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea, button')]
      .filter((el) => !(el.labels?.length || el.getAttribute('aria-label') || el.textContent.trim())).map((el) => el.outerHTML));
    assert.deepEqual(unnamed, []);
    await screenshot(page, `connections-${colorScheme}`);
    assert.deepEqual(errors, []);
    await context.close();
  }
});

test('profiles are saved without secrets unless "remember secret" is ticked', async () => {
  const { page, context } = await openPage(browser, base, 'connections');
  await page.getByRole('button', { name: '+ generic MQTT' }).click();
  await page.fill('#profile-name', 'Secret broker');
  await page.fill('#profile-url', 'ws://127.0.0.1:1');
  await page.fill('#profile-secret', 'hunter2');
  await page.getByRole('button', { name: 'Save profile' }).click();
  const stored = await page.evaluate(() => localStorage.getItem('iotmqtt.dashboard.profiles.v1'));
  const saved = JSON.parse(stored).find((p) => p.name === 'Secret broker');
  assert.equal(saved.secret, '');
  assert.ok(!stored.includes('hunter2'));
  await page.check('#profile-remember');
  await page.getByRole('button', { name: 'Save profile' }).click();
  const again = JSON.parse(await page.evaluate(() => localStorage.getItem('iotmqtt.dashboard.profiles.v1')));
  assert.equal(again.find((p) => p.name === 'Secret broker').secret, 'hunter2');
  // Delete asks first (issue 22, point 9): "Keep it" keeps the profile, "Delete for good" removes it.
  const names = () => page.evaluate(() => JSON.parse(localStorage.getItem('iotmqtt.dashboard.profiles.v1')).map((p) => p.name));
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  const confirm = page.getByRole('group', { name: 'Confirm delete' });
  assert.equal(await confirm.locator('p').innerText(), 'Delete the profile "Secret broker"? Its remembered secret goes with it.');
  await confirm.getByRole('button', { name: 'Keep it' }).click();
  assert.equal(await confirm.count(), 0);
  assert.ok((await names()).includes('Secret broker'));
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  await confirm.getByRole('button', { name: 'Delete for good' }).click();
  await page.waitForFunction(() => !JSON.parse(localStorage.getItem('iotmqtt.dashboard.profiles.v1')).some((p) => p.name === 'Secret broker'));
  assert.equal((await names()).filter((n) => n === 'Secret broker').length, 0);
  await context.close();
});

// Issue 22: profiles move between browsers as a JSON file, without their secrets unless asked.
{
  const width = WIDTH;
  test(`profiles export to a file and import back, secrets only when asked (${width} px)`, async () => {
    const { page, context, errors } = await openPage(browser, base, 'connections');
    const exportFile = async () => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export profiles' }).click()]);
      assert.equal(download.suggestedFilename(), 'iotmqtt-profiles.json');
      return JSON.parse(await readFile(await download.path(), 'utf8'));
    };
    const moved = page.locator('[data-testid=profiles-moved]');
    const plain = await exportFile();
    assert.equal(await moved.innerText(), 'Exported 5 profiles without secrets to iotmqtt-profiles.json.');
    assert.deepEqual([plain.format, plain.version, plain.profiles.length], ['iotmqtt-profiles', 1, 5]);
    assert.deepEqual(plain.profiles.map((p) => [p.id, p.secret, p.remember_secret]), [
      ['demo-tb-device', '', false], ['demo-tb-gateway', '', false], ['demo-tts', '', false],
      ['demo-cloudplugs', '', false], ['demo-generic', '', false]]);
    await page.getByLabel('Include secrets in the export').check();
    const full = await exportFile();
    assert.equal(await moved.innerText(), 'Exported 5 profiles with their secrets to iotmqtt-profiles.json.');
    assert.deepEqual(full.profiles.map((p) => p.secret), ['demo-thermostat-token', 'demo-gateway-token', 'NNSXS.DEMOKEY.SIMULATOR', 'demo-auth', 'secret']);

    // Import: one renamed, one new; the rest replace themselves.
    full.profiles[0].name = 'Thermostat from a file';
    full.profiles.push({ ...full.profiles[4], id: 'imported-broker', name: 'Imported broker', url: 'wss://broker.example:8084/mqtt' });
    const input = page.locator('#profiles-import');
    const send = (name, text) => input.setInputFiles({ name, mimeType: 'application/json', buffer: Buffer.from(text) });
    await send('profiles.json', JSON.stringify(full));
    await page.waitForFunction(() => document.querySelector('[data-testid=profiles-moved]')?.textContent.startsWith('Imported'));
    assert.equal(await moved.innerText(), 'Imported 6 profiles (5 replaced one with the same id).');
    const names = () => page.locator('.profile-list button.link strong').allInnerTexts();
    const expected = ['Thermostat from a file', 'Demo Gateway (simulator)', 'demo-app@ttn (simulator)', 'Demo plug (simulator)',
      'Local mosquitto', 'Imported broker'];
    assert.deepEqual(await names(), expected);
    // Refused whole, with the reason: not a profiles file, and a profile without a WebSocket URL.
    await send('other.json', '{"a": 1}');
    await page.waitForFunction(() => document.querySelector('[data-testid=profiles-moved]')?.getAttribute('role') === 'alert');
    assert.match(await moved.innerText(), /^not a profiles file: missing field `format`/);
    const bad = { ...full, profiles: [{ ...full.profiles[0], id: 'x', name: 'X', url: 'http://x' }] };
    await send('bad.json', JSON.stringify(bad));
    await page.waitForFunction(() => document.querySelector('[data-testid=profiles-moved]')?.textContent.startsWith('profile 1'));
    assert.equal(await moved.innerText(), 'profile 1 ("X"): its URL is not a ws:// or wss:// URL');
    assert.deepEqual(await names(), expected);
    // Kept across a reload.
    await page.reload();
    await page.waitForSelector('.profile-list');
    assert.deepEqual(await names(), expected);
    assert.deepEqual(await unnamedControls(page), []);
    await assertFits(page, assert);
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test('the gateway page runs 100 simulated sub-devices', async () => {
  const { page, context, errors } = await openPage(browser, base, 'gateway');
  await connect(page, 'tb-gateway');
  await waitConnected(page);
  await page.fill('#gw-count', '100');
  await page.fill('#gw-prefix', `e2e${Date.now() % 10000}`);
  await page.getByRole('button', { name: 'Add devices' }).click();
  await page.locator('section[aria-label="Sub-devices"] .ok', { hasText: '100 devices connected' }).waitFor({ timeout: 30_000 });
  await page.locator('table[aria-label="Sub-device values"] td.payload', { hasText: 'temperature' }).first().waitFor({ timeout: 10_000 });
  const sims = await admin('/api/sim/thingsboard/devices');
  const prefix = await page.inputValue('#gw-prefix');
  const created = sims.json.filter((d) => d.name.startsWith(prefix));
  assert.equal(created.length, 100);
  // An RPC to a sub-device is answered and listed on its row.
  const first = created.map((d) => d.name).sort()[0];
  const rpc = await admin(`/api/rpc/twoway/${encodeURIComponent(first)}`, { method: 'POST', body: { method: 'blink', params: { times: 2 }, timeout: 5000 } });
  assert.equal(rpc.status, 200, rpc.text);
  assert.equal(rpc.json.ok, true);
  await page.locator('table[aria-label="Sub-device values"] tr', { hasText: first }).locator('td', { hasText: 'blink' }).waitFor();
  // Issue 22, point 3: the pacing shows live. Every 200 ms, 100 devices' telemetry runs into the
  // session's rate limits: the panel names the binding limit, its use, the next publish and what waits.
  assert.equal(await page.getByTestId('pacing-limit').count(), 1);
  await page.fill('#gw-period', '200');
  await page.getByRole('button', { name: 'Set rate' }).click();
  await page.waitForFunction(() => /per window \(\d+ per \d+ s\)/.test(document.querySelector('[data-testid=pacing-limit]')?.textContent ?? ''),
    null, { timeout: 30_000 });
  assert.match(await page.getByTestId('pacing-used').innerText(), /^\d+ of \d+$/);
  assert.match(await page.getByTestId('pacing-next').innerText(), /^(in \d+ s|now)$/);
  assert.match(await page.getByTestId('pacing-queued').innerText(), /^\d+ publishes · \d+ of \d+ awaiting acknowledgement$/);
  await page.fill('#gw-count', '2000');
  await page.getByRole('button', { name: 'Add devices' }).click();
  assert.match(await page.locator('#gw-count-error').innerText(), /add 1 to 900 devices/);
  assert.deepEqual(await unnamedControls(page), []);
  await screenshot(page, 'thingsboard-gateway');
  assert.deepEqual(errors, []);
  await context.close();
});

test('the ThingsBoard page in the dark theme', async () => {
  const { page, context } = await openPage(browser, base, 'thingsboard', { colorScheme: 'dark' });
  await connect(page, 'tb-device');
  await waitConnected(page);
  await page.getByRole('button', { name: 'Start generator' }).click();
  await page.waitForTimeout(2500);
  await page.getByRole('button', { name: 'Stop generator' }).click();
  assert.match(await page.locator('section[aria-label="Telemetry generator"] .counter').innerText(), /[1-9]\d* messages? sent/);
  await screenshot(page, 'thingsboard-dark');
  await context.close();
});

// Issue 23: two tabs on the ThingsBoard gateway with "Share" ticked use one connection (the
// simulator counts the gateway's sessions). A sub-device's RPC is answered once, by the tab that
// holds the gateway's RPC turn (the first), and after that tab leaves, by the other.
test('two tabs on a shared gateway: one connection, a sub-device RPC answered by one tab, then by the other', async () => {
  const connections = async () => (await admin('/api/sim/thingsboard/devices/Demo%20Gateway')).json.connections;
  const log = (p) => p.locator('section[aria-label="Gateway RPC log"] ul.events li').allInnerTexts();
  const prefix = `e2eshared${Date.now() % 10000}`;
  const { a, b, context, errors } = await twoSharedTabs(browser, base, 'Demo Gateway (simulator)', async (a) => {
    await a.fill('#gw-count', '2');
    await a.fill('#gw-prefix', prefix);
    await a.getByRole('button', { name: 'Add devices' }).click();
    await a.locator('section[aria-label="Sub-devices"] .ok', { hasText: '2 devices connected' }).waitFor();
  });
  const turn = (p, text) => p.waitForFunction((t) => document.querySelector('[data-testid=gateway-rpc-turn]')?.textContent === t, text);
  const ANSWERS = "This tab answers the sub-devices' RPCs; the other tabs sharing the connection wait for their turn.";
  const WAITS = "Another tab answers the sub-devices' RPCs: this one takes the turn when that tab disconnects.";
  await turn(a, ANSWERS);
  await turn(b, WAITS);
  await eventually(async () => (await connections()) === 1, 5_000, 'one connection for the gateway');
  const device = `${prefix}-0001`;
  const blink = async (times) => {
    const r = await admin(`/api/rpc/twoway/${device}`, { method: 'POST', body: { method: 'blink', params: { times }, timeout: 5000 } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { ok: true, device, method: 'blink' });
  };
  await blink(1);
  await eventually(async () => (await log(a)).length === 1, 5_000, "A's log row");
  assert.match((await log(a))[0], new RegExp(` ${device}: blink \\{"times":1\\}$`));
  assert.deepEqual(await log(b), []);
  // A leaves: B holds the turn and answers the next one.
  await a.getByRole('button', { name: 'Disconnect', exact: true }).click();
  await sharedTabs(b, 'only this tab on the shared connection');
  await turn(b, ANSWERS);
  await blink(2);
  await eventually(async () => (await log(b)).length === 1, 5_000, "B's log row");
  assert.match((await log(b))[0], new RegExp(` ${device}: blink \\{"times":2\\}$`));
  assert.equal(await connections(), 1);
  await screenshot(b, 'thingsboard-gateway-shared');
  assert.deepEqual(errors, []);
  await context.close();
});
