// Test support for the pages: Debian's Chromium driven by playwright-core (headless, no network beyond this machine), and screenshots kept as test artefacts.
import { existsSync, mkdirSync } from "node:fs";
import axe from "axe-core";
import { join } from "node:path";
import { chromium } from "playwright-core";
import type { Browser, Page } from "playwright-core";

/** Where screenshots go (ignored by git; CI keeps the folder). */
export const ARTIFACTS_DIR = join(__dirname, "..", "..", "test-artifacts");

/** CHROMIUM_PATH, or Debian's /usr/bin/chromium; the test command installs it when missing (see lib/test-kit). */
export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
  if (!existsSync(path)) throw new Error(`The browser tests need Chromium at ${path}: apt-get install chromium, or set CHROMIUM_PATH`);
  return path;
}

/** A headless Chromium that reaches nothing but this machine, as on a closed network; `extraArgs` add switches (e.g. a fake camera). */
export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      ...extraArgs,
    ],
  });
}

/** Saves a screenshot of `page` as `<name>.png` among the test artefacts. */
export async function keepScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Evaluated in the crew page: resolves once its service worker is active and has kept the shell (a string: the root tsconfig has no DOM types). */
export const CREW_SHELL_KEPT = `(async () => {
  await navigator.serviceWorker.ready;
  while ((await caches.match("/crew")) === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
})()`;

/** The WCAG 2.x A and AA rules (up to 2.2) that axe-core finds broken on the page as it is now, as "rule: target" lines. */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: axe.source });
  const violations = await page.evaluate<{ id: string; nodes: { target: string[] }[] }[]>(
    `axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] } }).then((result) => result.violations.map((violation) => ({ id: violation.id, nodes: violation.nodes.map((node) => ({ target: node.target.map(String) })) })))`,
  );
  return violations.flatMap((violation) => violation.nodes.map((node) => `${violation.id}: ${node.target.join(" ")}`));
}
