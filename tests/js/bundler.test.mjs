// The package's default entry ("." in package.json's exports: the `--target bundler` build,
// minified by scripts/npm-build.sh) loaded the way bundlers load it: as ES modules with the wasm file
// imported as a module (WebAssembly ESM integration, which Node runs behind --experimental-wasm-modules).
// The page tests (npm.test.mjs) use the `--target web` build; this one checks the other build links
// and works: `import "iotmqtt"` resolved through the exports map of pkg/, helpers, typed errors, classes.
// Needs: bash scripts/npm-build.sh. No network, no browser.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

test("the bundler build, imported by package name, links its wasm and answers", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "iotmqtt-bundler-"));
  try {
    mkdirSync(path.join(dir, "node_modules"));
    symlinkSync(path.join(root, "pkg"), path.join(dir, "node_modules", "iotmqtt"), "dir");
    writeFileSync(path.join(dir, "entry.mjs"), `
      import * as generic from "iotmqtt";
      import * as thingsboard from "iotmqtt/thingsboard";
      import * as gateway from "iotmqtt/thingsboard-gateway";
      import * as thingsStack from "iotmqtt/things-stack";
      import * as cloudplugs from "iotmqtt/cloudplugs";
      import * as payload from "iotmqtt/payload";
      const lib = { ...gateway, ...thingsboard, ...thingsStack, ...cloudplugs, ...payload, ...generic };
      const caught = (f) => { try { f(); return null; } catch (e) { return { name: e.name, code: e.code, isError: e instanceof Error }; } };
      const client = new lib.MqttClient("ws://127.0.0.1:1/mqtt", { clientId: "bundler-test", reconnect: { enabled: false } });
      const out = {
        hex: lib.hexToBase64("BE EF"),
        back: lib.base64ToHex("vu8="),
        bytes: lib.bytesToBase64(new Uint8Array([0xde, 0xad, 0xbe, 0xef])),
        text: lib.base64ToText(lib.textToBase64("Temperature = 0.0")),
        badHex: caught(() => lib.hexToBase64("GG")),
        badOption: caught(() => new lib.MqttClient("ws://127.0.0.1:1/mqtt", { keepaliveSecs: "sixty" })),
        classes: [lib.MqttClient, lib.ThingsBoardDevice, lib.ThingsBoardGateway, lib.ThingsStackApp, lib.CloudPlugsDevice].map((c) => c.name),
        clientId: client.clientId,
        state: client.state,
      };
      client.close();
      out.live = client.liveResources();
      console.log(JSON.stringify(out));
    `);
    const stdout = execFileSync(process.execPath, ["--experimental-wasm-modules", "--no-warnings", "entry.mjs"], { cwd: dir, encoding: "utf8" });
    const out = JSON.parse(stdout);
    assert.equal(out.hex, "vu8=");
    assert.equal(out.back, "BEEF");
    assert.equal(out.bytes, "3q2+7w==");
    assert.equal(out.text, "Temperature = 0.0");
    assert.deepEqual(out.badHex, { name: "IotMqttError", code: "TTS_INVALID_HEX", isError: true });
    assert.deepEqual(out.badOption, { name: "IotMqttError", code: "INVALID_OPTION", isError: true });
    assert.deepEqual(out.classes, ["MqttClient", "ThingsBoardDevice", "ThingsBoardGateway", "ThingsStackApp", "CloudPlugsDevice"]);
    assert.equal(out.clientId, "bundler-test");
    assert.deepEqual(out.state, { type: "idle" });
    assert.equal(out.live.socket, false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
