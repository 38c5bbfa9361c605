// The `shared` option, taken out of the options it came in: the generic client's (`iotmqtt/shared`)
// and a platform class's that can share its connection (`ThingsStackApp`). The rest goes to the
// core's reader, which knows no `shared`.
import { iotError } from "../errors.js";

/** The options without `shared`, and `shared`: `true`, a name, or `undefined` when not asked. */
export function takeShared<T>(options: T): { rest: T; shared: true | string | undefined } {
  let shared: unknown, rest = options;
  try {
    if (typeof options === "object" && options !== null && "shared" in options) {
      ({ shared, ...(rest as object) } = options as { shared?: unknown });
    }
  } catch (e) {
    throw iotError("INVALID_OPTION", `invalid option options: ${(e as Error)?.message ?? e}`, "options");
  }
  if (shared !== undefined && shared !== true && typeof shared !== "string") {
    throw iotError("INVALID_OPTION", "invalid option shared: true or a name", "shared");
  }
  return { rest, shared };
}
