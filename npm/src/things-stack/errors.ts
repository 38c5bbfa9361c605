// The words of The Things Stack's error codes; they read as `ThingsStackError`'s `Display` does
// (src/platforms/things_stack/error.rs), and the payload helpers' (PAYLOAD_MESSAGES, ../errors.ts).
import { addMessages, PAYLOAD_MESSAGES } from "../errors.js";

addMessages(PAYLOAD_MESSAGES);

const q = (s: string | number) => JSON.stringify(s);

addMessages({
  TTS_INVALID_FPORT: (a) =>
    `f_port ${a[0]} is not allowed: application downlinks use FPort 1-223 (0 is MAC-only, 224-255 are reserved)`,
  TTS_PAYLOAD_TOO_LONG: (a) =>
    `the downlink payload is ${a[0]} bytes: The Things Stack accepts at most 255 (and the data rate may allow fewer)`,
  TTS_INVALID_PRIORITY: (a) =>
    `priority ${q(a[0])} does not exist: use LOWEST, LOW, BELOW_NORMAL, NORMAL, ABOVE_NORMAL, HIGH or HIGHEST`,
  TTS_CORRELATION_ID_TOO_LONG: (a) => `correlation id ${q(a[0])} is ${a[1]} characters: The Things Stack accepts at most 100`,
  TTS_PAYLOAD_CONFLICT: (a) =>
    `a downlink needs exactly one of frm_payload and decoded_payload, but ${a[0] ? "both are set" : "neither is set"}`,
  TTS_INVALID_DECODED_PAYLOAD: (a) =>
    `decoded_payload must be a JSON object (the input of the downlink encoder), not ${a[0]}`,
  TTS_INVALID_ID: (a) => `invalid ${a[0]} ${q(a[1])}: ${a[2]}`,
  TTS_MISSING_API_KEY: () => "no API key: create one in the Console under Integrations > MQTT and pass it as the password",
  TTS_NOT_AUTHORIZED: ([app, tenant]) => tenant
    ? `The Things Stack refused the API key for application ${q(app)} on tenant ${q(tenant)}: check the key, its ` +
      `rights for this application, and that the user name is app@tenant (on TTN: ${app}@ttn)`
    : `The Things Stack refused application ${q(app)} with this API key: on a multi-tenant deployment the ` +
      `user name must be ${app}@tenant (on TTN: ${app}@ttn); otherwise check the key`,
  TTS_INVALID_EVENT: (a) => `invalid event on ${q(a[0])}: ${a[1]}`,
  TTS_FORMATTER_ERROR: (a) => `the payload formatter failed: ${a[0]}`,
  TTS_DOWNLINK_TIMEOUT: (a) => `downlink ${a[0]} had no news within ${a[1]} ms (last status: ${a[2]})`,
});
