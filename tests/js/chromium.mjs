// What the browser tests of tests/js share: the environment scripts/npm-test.sh exports, Debian's
// Chromium, headless, and the repository served on loopback (the package's pages and pkg/).
import { chromium } from "playwright-core";
import { serve } from "../../www/examples/serve.mjs";

/** An environment variable the test command sets. */
export function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through scripts/npm-test.sh`);
  return v;
}

/** Headless Chromium (`CHROMIUM`, or Debian's). */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

/** The repository served on a free loopback port, and Chromium: `base` is the server's origin. */
export async function start() {
  const server = await serve(0);
  return { server, browser: await launch(), base: `http://127.0.0.1:${server.address().port}` };
}

/** Stops what `start` started. */
export async function stop({ server, browser } = {}) {
  await browser?.close();
  server?.close();
}
