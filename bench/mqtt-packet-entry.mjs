// Entry point of the browser bundle of mqtt-packet (MQTT.js's packet layer) for the codec workload;
// bench/run.mjs bundles it with esbuild into test-output/bench-assets/mqtt-packet.js.
import { Buffer } from "buffer";
import mqttPacket from "mqtt-packet";

export { Buffer, mqttPacket };
