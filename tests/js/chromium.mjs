// What the browser tests of tests/js share: the environment scripts/npm-test.sh exports, and Debian's
// Chromium, headless, as every test file launches it.
import { chromium } from "playwright-core";

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
