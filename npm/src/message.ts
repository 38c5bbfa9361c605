// A received message: its fields, and its payload as text when it is UTF-8.
import type { MessageProperties, MqttMessage, QoS } from "./types.js";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export class Message implements MqttMessage {
  constructor(
    public topic: string,
    public payload: Uint8Array,
    public qos: QoS,
    public retain: boolean,
    public dup: boolean,
    public properties?: MessageProperties,
  ) {}

  get text(): string | null {
    try {
      return utf8.decode(this.payload);
    } catch {
      return null;
    }
  }

  toJSON() {
    const { topic, payload, text, qos, retain, dup, properties } = this;
    return { topic, payload, text, qos, retain, dup, properties };
  }
}

