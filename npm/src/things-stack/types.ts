// The Things Stack entry's public types.
import type { IotMqttError } from "../errors.js";
import type { ConnectionState, JsonObject, JsonValue } from "../types.js";

export interface ThingsStackOptions {
  /** `app` or `app@tenant` (on TTN: `app@ttn`). */
  application: string;
  /** An API key with the application's traffic rights. */
  apiKey: string;
  clientId?: string;
  keepaliveSecs?: number;
  connectTimeoutMs?: number;
  /** `true` or a name: one connection for every tab of the origin that connects the same
   *  application with the same key and client id (the `iotmqtt/shared` session, loaded then). The
   *  Things Stack caps an application's connections. */
  shared?: true | string;
}

export type EventKind =
  | "up" | "up_normalized" | "join" | "down_queued" | "down_sent" | "down_ack" | "down_nack"
  | "down_failed" | "down_invalidated" | "location_solved" | "service_data";

/** What to listen to: the whole application (`{}`), one device, one event kind, or both. */
export interface ThingsStackSubscription {
  deviceId?: string;
  event?: EventKind;
}

export type Priority = "LOWEST" | "LOW" | "BELOW_NORMAL" | "NORMAL" | "ABOVE_NORMAL" | "HIGH" | "HIGHEST";

/** A downlink to push: `fPort` and exactly one payload form (`bytes`, `hex`, `base64`, `text` or `decodedPayload`). */
export interface DownlinkRequest {
  fPort: number;
  bytes?: Uint8Array;
  /** Any common spelling: `"BE EF"`, `"be:ef"`, `"0xBEEF"`. */
  hex?: string;
  base64?: string;
  text?: string;
  decodedPayload?: JsonObject;
  priority?: Priority;
  confirmed?: boolean;
  correlationIds?: string[];
}

/** A downlink as The Things Stack's JSON carries it (snake_case, `frm_payload` in base64). */
export interface Downlink {
  f_port: number;
  frm_payload?: string;
  decoded_payload?: JsonObject;
  priority?: Priority;
  confirmed?: boolean;
  correlation_ids?: string[];
  session_key_id?: string;
  f_cnt?: number;
}

export interface ErrorDetails {
  namespace: string;
  name: string;
  message_format?: string;
  attributes?: JsonValue;
  code?: number;
}

export type DownlinkStatus =
  | { status: "queued" } | { status: "sent" } | { status: "acked" } | { status: "nacked" }
  | { status: "failed"; error: ErrorDetails } | { status: "invalidated" };

export interface EndDeviceIds {
  device_id: string;
  application_ids: { application_id: string };
  dev_eui?: string;
  join_eui?: string;
  dev_addr?: string;
}

export interface RxMetadata {
  gateway_ids: { gateway_id: string; eui?: string };
  time?: string;
  timestamp?: number;
  rssi?: number;
  channel_rssi?: number;
  snr?: number;
}

export interface Uplink {
  session_key_id?: string;
  f_port?: number;
  f_cnt?: number;
  frm_payload?: string;
  decoded_payload?: JsonValue;
  normalized_payload?: JsonValue;
  rx_metadata: RxMetadata[];
  settings?: { data_rate?: { lora?: { bandwidth: number; spreading_factor: number; coding_rate?: string } }; frequency?: string };
  received_at?: string;
  confirmed?: boolean;
}

/** The server's event envelope (`ApplicationUp`); exactly one body key is present. */
export interface ApplicationUp {
  end_device_ids: EndDeviceIds;
  correlation_ids: string[];
  received_at?: string;
  simulated?: boolean;
  uplink_message?: Uplink;
  uplink_normalized?: Uplink;
  join_accept?: { session_key_id?: string; invalidated_downlinks?: Downlink[]; received_at?: string };
  downlink_queued?: Downlink;
  downlink_sent?: Downlink;
  downlink_ack?: Downlink;
  downlink_nack?: Downlink;
  downlink_failed?: { downlink: Downlink; error: ErrorDetails };
  downlink_queue_invalidated?: { downlinks: Downlink[]; last_f_cnt_down?: number; session_key_id?: string };
  location_solved?: { service: string; location: { latitude: number; longitude: number; altitude?: number; accuracy?: number; source?: string } };
  service_data?: { service: string; data: JsonValue };
}

/** A payload formatter's output, as on the server: non-empty `errors` means decoding failed. */
export interface DecodedUplink {
  data: JsonValue;
  warnings: string[];
  errors: string[];
}

/** One event from the application server. */
export interface ThingsStackEvent {
  deviceId: string;
  kind: EventKind;
  /** The uplink's or downlink's FRMPayload bytes, when the event has one. */
  payload: Uint8Array | null;
  fPort: number | null;
  /** The client-side decoder's output, when one is set for this uplink. */
  decoded: DecodedUplink | null;
  up: ApplicationUp;
}

/** Which uplinks a decoder applies to: one device, one FPort, or (empty) every other uplink. */
export interface DecoderTarget {
  deviceId?: string;
  fPort?: number;
}

export interface ThingsStackAppEventMap {
  event: ThingsStackEvent;
  /** A message on an event topic that could not be read. */
  error: IotMqttError;
  state: ConnectionState;
}
export type UplinkDecoder = "cayenne-lpp" | { formatter: string };
