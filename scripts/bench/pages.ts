// `npm run bench:pages`: the crew view and the portal in Chromium under network emulation (CDP Network.emulateNetworkConditions) against the whole system: time from pressing look-up to the crew summary painted and the crew view's transferred bytes, cold and warm; the portal's first search; each condition beside an unthrottled baseline in the same run.
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { BrowserContext, CDPSession, Page } from "playwright-core";
import { createLogger } from "@tsunagu/service-kit";
import { issueToken, jwtSettingsOf } from "@tsunagu/gateway";
import type { JwtSettings } from "@tsunagu/gateway";
import { loadSystemConfig, startSystem } from "../start";
import { SUBGRAPHS } from "../subgraphs";
import { CREW_SHELL_KEPT, launchChromium } from "../../web/test/browser";
import { machineLine } from "./machine";
import { loadLine, table } from "./load";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WEB_DIST = join(__dirname, "..", "..", "web", "dist");

/** Network conditions compared: the first (none) is the baseline of the ratios. Throughputs in bytes per second, latency added per request in ms. */
const CONDITIONS = [
  { name: "none (baseline)", latency: 0, downloadThroughput: -1, uploadThroughput: -1 },
  // Chrome DevTools' and Puppeteer's "Slow 3G" preset: 400 kbit/s each way and 2,000 ms added to every request.
  { name: "Slow 3G (DevTools: 2000 ms, 400 kbit/s)", latency: 2000, downloadThroughput: (500 * 1000 * 0.8) / 8, uploadThroughput: (500 * 1000 * 0.8) / 8 },
  // WebPageTest's "3G Slow": 400 ms round trip, 400 kbit/s each way.
  { name: "3G Slow (WebPageTest: 400 ms, 400 kbit/s)", latency: 400, downloadThroughput: 400_000 / 8, uploadThroughput: 400_000 / 8 },
] as const;
type Condition = (typeof CONDITIONS)[number];

interface Transfer {
  bytes: number;
  scriptBytes: number;
  requests: number;
}

/** Throttles `page` and counts what its requests brought over the network (not what the service worker or the disk cache answered). */
async function instrument(context: BrowserContext, page: Page, condition: Condition): Promise<{ cdp: CDPSession; transfer: Transfer; reset(): void }> {
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", { offline: false, ...condition });
  const transfer: Transfer = { bytes: 0, scriptBytes: 0, requests: 0 };
  const local = new Map<string, boolean>();
  const scripts = new Set<string>();
  cdp.on("Network.responseReceived", (event) => {
    local.set(event.requestId, event.response.fromServiceWorker === true || event.response.fromDiskCache === true);
    if (event.type === "Script") scripts.add(event.requestId);
  });
  cdp.on("Network.loadingFinished", (event) => {
    if (local.get(event.requestId) === true) return;
    transfer.bytes += event.encodedDataLength;
    transfer.requests += 1;
    if (scripts.has(event.requestId)) transfer.scriptBytes += event.encodedDataLength;
  });
  return {
    cdp,
    transfer,
    reset() {
      Object.assign(transfer, { bytes: 0, scriptBytes: 0, requests: 0 });
    },
  };
}

/** Milliseconds from the form's submit to two animation frames after `selector` appeared (the result painted); run in the page, as a string since the root tsconfig has no DOM types. */
async function timeSubmitToPaint(page: Page, formSelector: string, selector: string, submit: () => Promise<void>): Promise<number> {
  // `void`: evaluate would otherwise wait for the promise, which settles only after the submit below.
  await page.evaluate(`void (window.benchResult = new Promise((resolve) => {
    let started = 0;
    document.querySelector(${JSON.stringify(formSelector)}).addEventListener("submit", () => (started = performance.now()), { capture: true });
    const observer = new MutationObserver(() => {
      if (started === 0 || document.querySelector(${JSON.stringify(selector)}) === null) return;
      observer.disconnect();
      requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - started)));
    });
    observer.observe(document.body, { childList: true, subtree: true, characterData: true });
  }))`);
  await submit();
  try {
    await page.locator(selector).first().waitFor({ timeout: 180_000 });
  } catch {
    throw new Error(
      `${selector} never appeared; the page said: ${await page
        .locator("[role=status]")
        .allTextContents()
        .then((texts) => texts.join(" / "))}`,
    );
  }
  return page.evaluate<number>("window.benchResult");
}

function loadMs(page: Page): Promise<number> {
  return page.evaluate<number>(`performance.getEntriesByType("navigation")[0].loadEventEnd`);
}

interface Sample {
  loadMs: number;
  actionMs: number;
  bytes: number;
  scriptBytes: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The gzipped size of the JavaScript `page.html` loads at once and as the gateway serves it (the build's brotli copy), and of the chunks it loads later (dynamic imports). */
function gzippedScripts(pageFile: string): { initial: number; initialServed: number; lazy: { name: string; bytes: number }[] } {
  const html = readFileSync(join(WEB_DIST, pageFile), "utf8");
  const initial = [...html.matchAll(/\/assets\/([\w.-]+\.js)/g)].map((match) => match[1]);
  const size = (file: string) => gzipSync(readFileSync(join(WEB_DIST, "assets", file)), { level: 9 }).length;
  const served = (file: string) => statSync(join(WEB_DIST, "assets", existsSync(join(WEB_DIST, "assets", `${file}.br`)) ? `${file}.br` : file)).size;
  const lazy = new Set<string>();
  for (const file of initial) {
    for (const match of readFileSync(join(WEB_DIST, "assets", file), "utf8").matchAll(/["'`](?:\.\/|assets\/)([\w.-]+\.js)["'`]/g)) {
      if (!initial.includes(match[1])) lazy.add(match[1]);
    }
  }
  return {
    initial: initial.reduce((sum, file) => sum + size(file), 0),
    initialServed: initial.reduce((sum, file) => sum + served(file), 0),
    lazy: [...lazy].map((name) => ({ name, bytes: size(name) })),
  };
}

async function main(): Promise<void> {
  console.log(machineLine());
  console.log(`${loadLine()} (start)`);
  const dataDir = mkdtempSync(join(tmpdir(), "bench-pages-"));
  const freePorts = Object.fromEntries(SUBGRAPHS.map((subgraph) => [subgraph.portVariable, "0"]));
  const config = loadSystemConfig({
    NODE_ENV: "development",
    PORT: "0",
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    ...freePorts,
    IDENTITY_SECRET: randomBytes(32).toString("hex"),
    JWT_SECRET: randomBytes(32).toString("hex"),
    RATE_LIMIT_BURST: "1000000",
    RATE_LIMIT_PER_SECOND: "1000000",
  });
  const jwt: JwtSettings = jwtSettingsOf(config);
  const token = (role: string, subject: string) =>
    issueToken({ role: role as "EMS", subject, displayName: "救急隊 ベンチ" }, { secret: jwt.secret as string, issuer: jwt.issuer, audience: jwt.audience });
  const system = await startSystem({ config, logger: createLogger({ name: "bench-pages", level: "silent" }), inMemory: true });
  const origin = new URL(system.gatewayUrl).origin;
  const browser = await launchChromium();
  try {
    // Card codes of the demo residents, as each resident sees their own.
    const codes: string[] = [];
    for (let index = 1; index <= 60; index++) {
      const response = await fetch(system.gatewayUrl, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${await token("RESIDENT", `demo-resident-${String(index).padStart(5, "0")}`)}` },
        body: JSON.stringify({ query: "{ myEmergencyProfiles { card { printed } } }" }),
      });
      const body = (await response.json()) as { data?: { myEmergencyProfiles: { card: { printed: string } }[] } };
      const printed = body.data?.myEmergencyProfiles[0]?.card.printed;
      if (printed !== undefined) codes.push(printed);
    }
    let lookups = 0;
    const nextCode = () => {
      const code = codes[lookups % codes.length];
      lookups += 1;
      return code;
    };

    const crewLookup = async (page: Page): Promise<number> => {
      await page.getByLabel("アクセストークン").fill(await token("EMS", `bench-crew-${lookups}`));
      await page.getByRole("button", { name: "サインイン" }).click();
      await page.getByLabel("カードコード（10文字）").fill(nextCode());
      await page.getByLabel("照会の理由（必須）").fill("ベンチマーク");
      await page.getByLabel("事案番号（必須）").fill(`BENCH-${lookups}`);
      return timeSubmitToPaint(page, "#lookup", "#summary-heading", () => page.getByRole("button", { name: "照会する" }).click());
    };
    const portalSearch = async (page: Page): Promise<number> => {
      await page.locator("#category option").nth(1).waitFor({ state: "attached", timeout: 120_000 });
      await page.getByLabel("ことば（名前・よみがな）").fill("ほうもんかんご");
      return timeSubmitToPaint(page, "#search", "#results li", () => page.getByRole("button", { name: "さがす" }).click());
    };

    const results = new Map<string, Sample[]>();
    const record = (key: string, sample: Sample) => results.set(key, [...(results.get(key) ?? []), sample]);
    /** One pass over both pages under `condition`, each result given to `keep`. */
    const measure = async (condition: Condition, keep: (key: string, sample: Sample) => void) => {
      // Crew view: a first visit (nothing cached), then a second opening of the same phone (service worker and shell in place).
      const crewContext = await browser.newContext({ locale: "ja-JP", timezoneId: "Asia/Tokyo", viewport: { width: 390, height: 844 }, isMobile: true });
      const crewPage = await crewContext.newPage();
      const crew = await instrument(crewContext, crewPage, condition);
      await crewPage.goto(`${origin}/crew`, { timeout: 120_000 });
      const coldLoad = await loadMs(crewPage);
      const coldLookup = await crewLookup(crewPage);
      keep(`crew cold|${condition.name}`, { loadMs: coldLoad, actionMs: coldLookup, bytes: crew.transfer.bytes, scriptBytes: crew.transfer.scriptBytes });
      await crewPage.evaluate(CREW_SHELL_KEPT);
      crew.reset();
      await crewPage.reload({ timeout: 120_000 });
      const warmLoad = await loadMs(crewPage);
      const warmLookup = await crewLookup(crewPage);
      keep(`crew warm|${condition.name}`, { loadMs: warmLoad, actionMs: warmLookup, bytes: crew.transfer.bytes, scriptBytes: crew.transfer.scriptBytes });
      await crewContext.close();

      // Portal: a first visit and its first search, then a second visit (HTTP cache) and its first search.
      const portalContext = await browser.newContext({ locale: "ja-JP", timezoneId: "Asia/Tokyo" });
      const portalPage = await portalContext.newPage();
      const portal = await instrument(portalContext, portalPage, condition);
      await portalPage.goto(`${origin}/portal`, { timeout: 120_000 });
      const portalColdLoad = await loadMs(portalPage);
      const portalColdSearch = await portalSearch(portalPage);
      keep(`portal cold|${condition.name}`, {
        loadMs: portalColdLoad,
        actionMs: portalColdSearch,
        bytes: portal.transfer.bytes,
        scriptBytes: portal.transfer.scriptBytes,
      });
      portal.reset();
      await portalPage.reload({ timeout: 120_000 });
      const portalWarmLoad = await loadMs(portalPage);
      const portalWarmSearch = await portalSearch(portalPage);
      keep(`portal warm|${condition.name}`, {
        loadMs: portalWarmLoad,
        actionMs: portalWarmSearch,
        bytes: portal.transfer.bytes,
        scriptBytes: portal.transfer.scriptBytes,
      });
      await portalContext.close();
    };
    // A pass unrecorded first: the system's first look-ups and searches warm its caches and JIT.
    await measure(CONDITIONS[0], () => undefined);
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? CONDITIONS : [...CONDITIONS].reverse();
      for (const condition of order) await measure(condition, record);
      console.log(`round ${round + 1}/${ROUNDS} done (${loadLine()})`);
    }

    console.log(
      `\nmedians of ${ROUNDS} rounds; conditions alternate, order reversed every other round; ratio = this condition / no throttling, same page and cache state`,
    );
    console.log("action: crew = pressing 照会する until the summary is painted; portal = pressing さがす (first search) until the results are painted");
    console.log("bytes: transferred over the network by the page (the service worker's own background refresh of the shell is not counted)\n");
    const rows: string[][] = [];
    for (const view of ["crew cold", "crew warm", "portal cold", "portal warm"]) {
      const baseline = results.get(`${view}|${CONDITIONS[0].name}`) ?? [];
      const baseAction = median(baseline.map((sample) => sample.actionMs));
      for (const condition of CONDITIONS) {
        const samples = results.get(`${view}|${condition.name}`) ?? [];
        const action = median(samples.map((sample) => sample.actionMs));
        rows.push([
          view,
          condition.name,
          `${Math.round(median(samples.map((sample) => sample.loadMs)))}`,
          `${Math.round(action)}`,
          condition === CONDITIONS[0] ? "1.00" : (action / baseAction).toFixed(2),
          `${(median(samples.map((sample) => sample.bytes)) / 1024).toFixed(1)}`,
          `${(median(samples.map((sample) => sample.scriptBytes)) / 1024).toFixed(1)}`,
        ]);
      }
    }
    console.log(table(["view", "network", "load ms", "action ms", "action ratio", "KB transferred (load + look-up/search)", "of it JS KB"], rows));
    const crewScripts = gzippedScripts("crew.html");
    const portalScripts = gzippedScripts("portal.html");
    console.log(
      `\ncrew JavaScript gzipped (level 9): ${(crewScripts.initial / 1024).toFixed(1)} KB at load; loaded with the camera: ${crewScripts.lazy
        .map((chunk) => `${chunk.name} ${(chunk.bytes / 1024).toFixed(1)} KB`)
        .join(", ")} (target: under 60 KB); as served (brotli): ${(crewScripts.initialServed / 1024).toFixed(1)} KB at load`,
    );
    console.log(`portal JavaScript gzipped (level 9): ${(portalScripts.initial / 1024).toFixed(1)} KB at load`);
    console.log(
      "the gateway serves the pages brotli- or gzip-compressed from the build's copies (Accept-Encoding): the transferred bytes above are what a phone gets",
    );
    console.log(`${loadLine()} (end)`);
  } finally {
    await browser.close();
    await system.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
