// Provisioning a new ThingsBoard device on a connection of its own (`ThingsBoardDevice.provision`),
// over the ThingsBoard session (session.ts). The `iotmqtt/thingsboard-gateway` entry's core has it
// (cargo feature `thingsboard-provision`); the device's entry imports that entry to call it.
import { plain } from "../plain.js";
import { LOGIN_FAILED, MESSAGE, Session, STATE } from "./session.js";
import type { ProvisionedCredentials, ProvisionOptions, ProvisionRequest } from "./types.js";

const PROVISION = 33;

/** What `ThingsBoardDevice.provision` does: provisions a new device and resolves with its credentials. */
export async function provision(url: string, request: ProvisionRequest, options?: ProvisionOptions): Promise<ProvisionedCredentials> {
  const s = new Session([]);
  const b = s.start(PROVISION, 0, "", undefined, plain([request, options], "request"));
  const client = (s.client = s.open(url));
  client.on("message", (m) => s.run(MESSAGE, 0, m.topic, undefined, m.payload));
  client.on("state", (state) => s.failed("error" in state ? state.error : null, STATE, 0, state.type));
  const done = s.wait<ProvisionedCredentials>(b, 0);
  try {
    await client.connect();
  } catch (e) {
    s.close();
    s.start(LOGIN_FAILED, 0, (e as { code?: string })?.code ?? "");
    throw e;
  }
  try {
    return await done;
  } finally {
    s.close();
  }
}
