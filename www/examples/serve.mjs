// Serves the examples and the built package on loopback: /www/examples/ and /pkg/ from the repo root.
// Usage: node www/examples/serve.mjs [PORT]   (0 = any free port; prints the URL)
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, resolve, sep, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const TYPES = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm", ".css": "text/css", ".json": "application/json", ".ts": "text/plain; charset=utf-8",
};

export function serve(port = 0) {
  const server = createServer(async (req, res) => {
    let path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    if (path === "/") { res.writeHead(302, { location: "/www/examples/" }); return res.end(); }
    if (path.endsWith("/")) path += "index.html";
    const file = normalize(join(ROOT, path));
    const allowed = [join(ROOT, "www") + sep, join(ROOT, "pkg") + sep].some((p) => file.startsWith(p));
    try {
      if (!allowed) throw new Error("outside www/ and pkg/");
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" });
      res.end(body);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found");
    }
  });
  return new Promise((ok) => server.listen(port, "127.0.0.1", () => ok(server)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const server = await serve(Number(process.argv[2] ?? process.env.PORT ?? 8090));
  console.log(`examples: http://127.0.0.1:${server.address().port}/www/examples/  (build the package first: bash scripts/npm-build.sh)`);
}
