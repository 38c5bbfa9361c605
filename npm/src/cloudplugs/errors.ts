// The words of CloudPlugs' error codes; they read as `CloudPlugsError`'s `Display` does
// (src/platforms/cloudplugs/error.rs).
import { addMessages } from "../errors.js";

const q = (s: string | number) => JSON.stringify(s);
const invalid = (what: string) => (a: (string | number)[]) => `invalid ${what} ${q(a[0])}: ${a[1]}`;
const err = (a: (string | number)[]) => `err ${a[0]}${a[1] ? ": " + a[1] : ""}`;

addMessages({
  CLOUDPLUGS_INVALID_HWID: invalid("HWID"),
  CLOUDPLUGS_INVALID_NAME: invalid("device name"),
  CLOUDPLUGS_INVALID_PLUG_ID: invalid("Plug-ID"),
  CLOUDPLUGS_INVALID_USERNAME: invalid("username"),
  CLOUDPLUGS_INVALID_CHANNEL: invalid("channel"),
  CLOUDPLUGS_INVALID_CHANNEL_MASK: invalid("channel mask"),
  CLOUDPLUGS_INVALID_PROPERTY: invalid("property"),
  CLOUDPLUGS_MISSING_AUTH: () => "no auth code: CloudPlugs logs in with the Plug-ID (or account email) and its auth code",
  CLOUDPLUGS_INVALID_ENROLLMENT: (a) => `invalid enrollment ${a[0]} ${q(a[1])}: ${a[2]}`,
  CLOUDPLUGS_ENROLLMENT_REFUSED: (a) =>
    `CloudPlugs refused the enrollment (${err(a)}): check the model, the enrollment pass and the thing's HWID`,
  CLOUDPLUGS_PROPERTY_ERROR: (a) => `CloudPlugs refused the property request (${err(a)})`,
  CLOUDPLUGS_MALFORMED_REPLY: (a) => `CloudPlugs sent a ${a[0]} that cannot be read: ${a[1]}`,
  CLOUDPLUGS_MALFORMED_DATA: (a) => `the data on ${q(a[0])} is not a CloudPlugs document: ${a[1]}`,
  CLOUDPLUGS_KEEPALIVE_TOO_LONG: (a) =>
    `keepalive ${a[0]} s is too long: CloudPlugs drops a connection that is silent for 5 minutes, so use 1 to 300 s (240 s advised)`,
  CLOUDPLUGS_NO_PLUG_ID: () =>
    "this connection logged in with an account email and has no Plug-ID of its own: name the Plug-ID to act for",
  CLOUDPLUGS_TIMEOUT: (a) => `no answer to the ${a[0]} within ${a[1]} ms`,
});
