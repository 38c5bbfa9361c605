// The words of ThingsBoard's error codes; they read as `ThingsBoardError`'s `Display` does
// (src/platforms/thingsboard/error.rs).
import { addMessages } from "../errors.js";

const q = (s: string | number) => JSON.stringify(s);
const hex = (n: string | number) => "0x" + Number(n).toString(16).toUpperCase().padStart(2, "0");

addMessages({
  TB_TOKEN_REJECTED: (a) => `ThingsBoard refused the access token (CONNACK ${hex(a[0])}): check the device's credentials`,
  TB_BASIC_CREDENTIALS_REJECTED: (a) =>
    `ThingsBoard refused the MQTT basic credentials (CONNACK ${hex(a[0])}): check the client id, user name and password`,
  TB_CREDENTIALS_MISSING: (a) =>
    `ThingsBoard needs credentials (CONNACK ${hex(a[0])}): give an access token or MQTT basic credentials`,
  TB_SERVER_UNAVAILABLE: (a) => `ThingsBoard is unavailable or limits connections (CONNACK ${hex(a[0])}): try again later`,
  TB_INVALID_TELEMETRY: (a) =>
    `telemetry must be a JSON object, an array of objects, {ts, values} or an array of those: ${a[0]}`,
  TB_INVALID_ATTRIBUTES: (a) => `attributes must be a JSON object with non-empty keys: ${a[0]}`,
  TB_PAYLOAD_TOO_LARGE: (a) =>
    `${a[0]} bytes do not fit in one PUBLISH: ThingsBoard's max payload size leaves ${a[1]} bytes for this topic's payload`,
  TB_INVALID_PAYLOAD: (a) => `ThingsBoard sent an invalid ${a[0]}: ${a[1]}`,
  TB_TIMEOUT: (a) => `no answer from ThingsBoard within ${a[1]} ms to the ${a[0]}`,
  TB_RPC_ERROR: (a) => `the RPC ${q(a[0])} failed on the server: ${a[1]}`,
  TB_PROVISION_FAILED: (a) => `provisioning failed (${a[0]}): ${a[1]}`,
  TB_FIRMWARE_ERROR: (a) => `firmware: ${a[0]}`,
  TB_CHECKSUM_MISMATCH: (a) => `checksum mismatch (${a[0]}): expected ${a[1]}, got ${a[2]}`,
  TB_UNKNOWN_CHECKSUM_ALGORITHM: (a) =>
    `unknown checksum algorithm ${q(a[0])}: use MD5, SHA256, SHA384, SHA512, CRC32, MURMUR3_32 or MURMUR3_128`,
  TB_INVALID_OPTION: (a) => `invalid option ${a[0]}: ${a[1]}`,
});
