// The gateway's pages in a real browser: the landing page, and GraphiQL bundled (nothing from a CDN) running a query against the gateway; production serves no GraphiQL; the built pages go out compressed.
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { brotliDecompressSync } from "node:zlib";
import type { Browser, Response } from "playwright-core";
import { startResourcesStack } from "../../subgraphs/resources/test/stack";
import type { ResourcesStack } from "../../subgraphs/resources/test/stack";
import { keepScreenshot, launchChromium } from "./browser";

let stack: ResourcesStack;
let browser: Browser;
let origin: string;

beforeAll(async () => {
  stack = await startResourcesStack({ seedDemoAt: new Date("2026-04-01T00:00:00Z") });
  origin = new URL(stack.gateway.url).origin;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

test("GraphiQL loads from the gateway alone and runs the example query", async () => {
  const page = await browser.newPage();
  const foreign: string[] = [];
  page.on("request", (request) => {
    if (!request.url().startsWith(origin) && !request.url().startsWith("data:") && !request.url().startsWith("blob:")) foreign.push(request.url());
  });
  // GraphiQL is ready once it has loaded the schema (its introspection) and shows the example in the editor.
  const schemaLoaded = page.waitForResponse((response) => response.url() === `${origin}/graphql` && response.request().method() === "POST");
  await page.goto(`${origin}/graphiql`);
  await schemaLoaded;
  await page.getByText("Stations").first().waitFor();
  // On a busy machine the editor may take a while to accept a run: press Execute until the query goes out (up to a minute).
  const isStations = (response: Response) => response.url() === `${origin}/graphql` && (response.request().postData() ?? "").includes("query Stations");
  let answered: Response | undefined;
  for (let attempt = 0; attempt < 12 && answered === undefined; attempt += 1) {
    const next = page.waitForResponse(isStations, { timeout: 5_000 }).catch(() => undefined);
    await page.getByRole("button", { name: /execute query/i }).click();
    answered = await next;
  }
  expect(answered?.status()).toBe(200);
  await page.getByText('"totalCount"').first().waitFor({ timeout: 60_000 });
  await keepScreenshot(page, "graphiql");
  expect(foreign).toEqual([]);
  await page.close();
});

test("a browser opening /graphql is sent to GraphiQL; the landing page links to it", async () => {
  const page = await browser.newPage();
  await page.goto(`${origin}/graphql`);
  expect(new URL(page.url()).pathname).toBe("/graphiql");
  await page.goto(`${origin}/`);
  await page.getByRole("link", { name: /GraphiQL/ }).waitFor();
  await keepScreenshot(page, "landing");
  await page.close();
});

/** The gateway's raw answer to a GET (fetch would decode it): headers and body bytes. */
function rawGet(url: string, headers: Record<string, string>): Promise<{ headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ headers: response.headers, body: Buffer.concat(chunks) }));
    })
      .on("error", reject)
      .end();
  });
}

test("the gateway sends the built crew view brotli-compressed to a browser that accepts it, with Vary: Accept-Encoding", async () => {
  const chromiumAccepts = { "accept-encoding": "gzip, deflate, br, zstd" };
  const html = await rawGet(`${origin}/crew`, chromiumAccepts);
  expect(html.headers).toMatchObject({ "content-encoding": "br", vary: "Accept-Encoding", "cache-control": "no-cache" });
  const script = /<script type="module" crossorigin src="(\/assets\/crew-[\w-]+\.js)">/.exec(brotliDecompressSync(html.body).toString())?.[1];
  expect(script).toBeDefined();
  const asset = await rawGet(`${origin}${script}`, chromiumAccepts);
  expect(asset.headers).toMatchObject({ "content-encoding": "br", vary: "Accept-Encoding" });
  const built = readFileSync(join(__dirname, "..", "dist", String(script)));
  expect(brotliDecompressSync(asset.body).equals(built)).toBe(true);
  expect(asset.body.length).toBeLessThan(built.length / 2);
});
