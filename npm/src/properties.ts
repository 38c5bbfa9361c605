// MQTT 5 properties read from the batch: a received message's (`message_properties` in
// src/batch/client.rs: a byte saying which are there, then each that is) and user properties.
import type { Batch } from "./batch.js";
import type { MessageProperties, UserProperties } from "./types.js";

export function messageProperties(b: Batch): MessageProperties | undefined {
  const mask = b.u8();
  if (!mask) return undefined;
  const p: MessageProperties = {};
  const has = (bit: number) => (mask >> bit) & 1;
  if (has(0)) p.payloadFormatIndicator = has(1) === 1;
  if (has(2)) p.messageExpiryInterval = b.u32();
  if (has(3)) p.contentType = b.str();
  if (has(4)) p.responseTopic = b.str();
  if (has(5)) p.correlationData = b.bytes().slice();
  if (has(6)) p.userProperties = userProperties(b);
  if (has(7)) {
    const ids: number[] = [];
    for (let n = b.u32(); n > 0; n--) ids.push(b.u32());
    p.subscriptionIdentifiers = ids;
  }
  return p;
}

/** A count, then each name and value; a repeated name gathers its values in an array, in order
 *  (MQTT.js's form). */
export function userProperties(b: Batch): UserProperties {
  // No prototype: a name from the network such as "__proto__" or "toString" is a name like any other.
  const user: UserProperties = Object.create(null);
  for (let n = b.u32(); n > 0; n--) addUserProperty(user, b.str(), b.str());
  return user;
}

/** Adds one name and value: a repeated name gathers its values in an array, in order. */
export function addUserProperty(user: UserProperties, name: string, value: string): void {
  const had = Object.hasOwn(user, name) ? user[name] : undefined;
  user[name] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [had, value];
}
