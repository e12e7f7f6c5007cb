// The residents' portal in a real browser against the gateway: kana search near a point, results on the list and the map, a resource's detail; nothing requested outside the gateway's origin.
import type { Browser, BrowserContext, Page } from "playwright-core";
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

/** A page in its own context that records every request leaving the gateway's origin. */
async function openPortal(context: BrowserContext): Promise<{ page: Page; foreign: string[] }> {
  const page = await context.newPage();
  const foreign: string[] = [];
  page.on("request", (request) => {
    const url = request.url();
    if (!url.startsWith(origin) && !url.startsWith("data:") && !url.startsWith("blob:")) foreign.push(url);
  });
  await page.goto(`${origin}/portal`);
  // The form's choices come from the API: wait for the categories to arrive.
  await page.locator("#category option").nth(1).waitFor({ state: "attached" });
  return { page, foreign };
}

test("a resident finds visiting-nursing stations by ほうもんかんご near their location, sees them on the map, and opens one's hours", async () => {
  const context = await browser.newContext({ locale: "ja-JP", timezoneId: "Asia/Tokyo", permissions: ["geolocation"], geolocation: { latitude: 36.4, longitude: 136.45 } });
  const { page, foreign } = await openPortal(context);

  await page.getByLabel("ことば（名前・よみがな）").fill("ほうもんかんご");
  await page.getByRole("button", { name: "現在地を使う" }).click();
  await page.getByText("現在地を検索の中心にしました。").waitFor();
  expect(await page.getByLabel("この地点の近く").isChecked()).toBe(true);
  expect(Number(await page.getByLabel("緯度").inputValue())).toBeCloseTo(36.4, 4);
  await page.getByLabel("範囲").selectOption("5000");
  await page.getByRole("button", { name: "さがす" }).click();
  await page.getByText(/件見つかりました/).waitFor();

  const results = page.locator("#results button.result");
  const count = await results.count();
  expect(count).toBeGreaterThan(0);
  const names = await page.locator("#results .name").allTextContents();
  for (const name of names) expect(name).toMatch(/訪問看護|訪看/);
  const facts = await page.locator("#results .facts").allTextContents();
  for (const fact of facts) expect(fact).toMatch(/訪問看護/);
  // Nearest first, each within the chosen 5 km.
  const distances = facts.map((fact) => {
    const match = /([\d.]+) (k?m)$/.exec(fact);
    if (match === null) throw new Error(`no distance in ${fact}`);
    return Number(match[1]) * (match[2] === "km" ? 1000 : 1);
  });
  expect(distances).toEqual([...distances].sort((a, b) => a - b));
  expect(Math.max(...distances)).toBeLessThanOrEqual(5000);
  // One map marker per listed station, plus the searched point.
  expect(await page.locator("#map path.resource-marker").count()).toBe(count);
  expect(await page.locator("#map path.point-marker").count()).toBe(1);

  const firstName = names[0];
  await results.first().click();
  const detail = page.locator("#detail");
  await detail.getByRole("heading", { level: 2, name: firstName }).waitFor();
  expect(await page.evaluate(() => document.activeElement?.id)).toBe("detail-heading");
  const hours = detail.locator("table.hours");
  expect(await hours.locator("tr").count()).toBe(7);
  const mondayHours = await hours.locator("tr").first().locator("td").textContent();
  expect(mondayHours).toMatch(/^\d{2}:\d{2}〜\d{2}:\d{2}/);
  expect(await detail.getByRole("heading", { name: "休日" }).count()).toBe(1);
  expect(await detail.getByRole("heading", { name: "連絡窓口" }).count()).toBe(1);
  await keepScreenshot(page, "portal-visiting-nursing-near-point");

  expect(foreign).toEqual([]);
  await context.close();
});
