// The residents' portal in a real browser against the gateway: kana search near a point, results on the list and the map, a resource's detail; nothing requested outside the gateway's origin.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { startResourcesStack } from "../../subgraphs/resources/test/stack";
import type { ResourcesStack } from "../../subgraphs/resources/test/stack";
import { bearer } from "../../gateway/test/helpers";
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
  const context = await browser.newContext({
    locale: "ja-JP",
    timezoneId: "Asia/Tokyo",
    permissions: ["geolocation"],
    geolocation: { latitude: 36.4, longitude: 136.45 },
  });
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
  expect(await page.evaluate("document.activeElement?.id")).toBe("detail-heading");
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

test("the map draws the outline of every district the API gives one, with its name, under the resource points", async () => {
  const answer = await stack.graphql(`{ districts { name hasArea } }`);
  const outlined = (answer.body.data?.districts as { name: string; hasArea: boolean }[])
    .filter((district) => district.hasArea)
    .map((district) => district.name);
  expect(outlined.length).toBeGreaterThanOrEqual(6);
  const context = await browser.newContext({ locale: "ja-JP", timezoneId: "Asia/Tokyo" });
  const { page, foreign } = await openPortal(context);
  const outlines = page.locator(".leaflet-districts-pane path.district-outline");
  await outlines.nth(outlined.length - 1).waitFor({ state: "attached" });
  expect(await outlines.count()).toBe(outlined.length);
  for (const path of await outlines.evaluateAll((paths) => paths.map((element) => element.getAttribute("d") ?? ""))) expect(path).toMatch(/^M[\d.\- ]+L/);
  expect((await page.locator(".leaflet-districts-pane .district-label").allTextContents()).sort()).toEqual([...outlined].sort());

  // The outlines are drawn below the points and take no clicks: a station's marker still opens it.
  await page.getByLabel("ことば（名前・よみがな）").fill("ほうもんかんご");
  await page.getByRole("button", { name: "さがす" }).click();
  await page.getByText(/件見つかりました/).waitFor();
  // The map zooms to the results: a click during Leaflet's zoom animation lands where the marker was.
  await page.waitForFunction(() => document.querySelector(".leaflet-zoom-anim") === null);
  await page.locator("path.resource-marker").first().click();
  await page.locator("#detail-heading").waitFor();
  await keepScreenshot(page, "portal-district-outlines");
  expect(foreign).toEqual([]);
  await context.close();
});

test("a care manager filters by category, district and open now with the keyboard alone, picks a point on the map, pages on, and closes a detail with Escape", async () => {
  const context = await browser.newContext({ locale: "ja-JP", timezoneId: "Asia/Tokyo" });
  const { page, foreign } = await openPortal(context);
  // A Wednesday at 10:00 in Tokyo, when the weekday offices are open.
  await page.clock.setFixedTime(new Date("2026-04-08T01:00:00Z"));

  await page.getByLabel("分類").focus();
  await page.getByLabel("分類").selectOption({ label: "訪問看護ステーション" });
  await page.keyboard.press("Tab");
  await page.getByLabel("地区（日常生活圏域）").selectOption("東圏域");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Space");
  expect(await page.getByLabel("いま営業中のみ").isChecked()).toBe(true);
  await page.getByLabel("ことば（名前・よみがな）").press("Enter");
  await page.getByText(/件見つかりました/).waitFor();
  const facts = await page.locator("#results .facts").allTextContents();
  expect(facts.length).toBeGreaterThan(0);
  // In the district, or visiting it from a neighbouring one.
  for (const item of await page.locator("#results button.result").allTextContents()) expect(item).toContain("東圏域");
  for (const fact of facts) expect(fact).toMatch(/^訪問看護ステーション・.+圏域・営業中$/);

  // The detail opens from the keyboard, takes focus, and Escape gives it back to the result.
  await page.locator("#results button.result").first().focus();
  await page.keyboard.press("Enter");
  await page.locator("#detail-heading").waitFor();
  expect(await page.evaluate("document.activeElement?.id")).toBe("detail-heading");
  expect(await page.locator("#detail dd").nth(1).textContent()).toBe("営業中");
  await page.keyboard.press("Escape");
  expect(await page.locator("#detail").isHidden()).toBe(true);
  expect(await page.evaluate('document.activeElement?.classList.contains("result")')).toBe(true);

  // A point chosen on the map fills the fields; everything within 10 km comes in pages of 20.
  await page.getByLabel("分類").selectOption("");
  await page.getByLabel("地区（日常生活圏域）").selectOption("");
  await page.getByLabel("いま営業中のみ").uncheck();
  await page.locator("#map").click({ position: { x: 200, y: 60 } });
  expect(await page.getByLabel("この地点の近く").isChecked()).toBe(true);
  const latitude = Number(await page.getByLabel("緯度").inputValue());
  const longitude = Number(await page.getByLabel("経度").inputValue());
  // Somewhere over the demo city, marked on the map.
  expect(Math.abs(latitude - 36.4)).toBeLessThan(0.2);
  expect(Math.abs(longitude - 136.45)).toBeLessThan(0.2);
  expect(await page.locator("#map path.point-marker").count()).toBe(1);
  await page.getByLabel("範囲").selectOption("10000");
  await page.getByRole("button", { name: "さがす" }).click();
  await page.getByText(/件見つかりました/).waitFor();
  const total = Number(/(\d+)件見つかりました/.exec((await page.locator("#status").textContent()) ?? "")?.[1]);
  expect(total).toBeGreaterThan(20);
  expect(await page.locator("#results li").count()).toBe(20);
  await page.getByRole("button", { name: "さらに表示" }).click();
  await page.getByText(`（${Math.min(40, total)}件を表示）`, { exact: false }).waitFor();
  expect(await page.locator("#results li").count()).toBe(Math.min(40, total));
  expect(await page.locator("#map path.resource-marker").count()).toBe(Math.min(40, total));

  // An incomplete point is refused with a message before any request.
  await page.getByLabel("緯度").fill("");
  await page.getByRole("button", { name: "さがす" }).click();
  await page.getByText("近くでさがすには、緯度と経度を入れるか").waitFor();
  await keepScreenshot(page, "portal-filters-and-paging");

  expect(foreign).toEqual([]);
  await context.close();
});

/** Where the demo city keeps its staff's face photos (example.org in the demo data); the test answers for it with a one-pixel PNG. */
const PHOTO_SERVER = "https://example.org/photos/";
const ONE_PIXEL_PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=", "base64");

test("a professional signs in with a token and sees the contact windows' direct lines and face photos; a resident does not; a forged token is refused with a clear message", async () => {
  const context = await browser.newContext({ locale: "ja-JP", timezoneId: "Asia/Tokyo" });
  const photoRequests: string[] = [];
  await context.route(`${PHOTO_SERVER}**`, (route) => {
    photoRequests.push(route.request().url());
    return route.fulfill({ status: 200, contentType: "image/png", body: ONE_PIXEL_PNG });
  });
  const { page, foreign } = await openPortal(context);
  const openFirstStation = async () => {
    await page.locator("#status").evaluate((status) => (status.textContent = ""));
    await page.getByLabel("ことば（名前・よみがな）").fill("ほうもんかんご");
    await page.getByRole("button", { name: "さがす" }).click();
    await page.getByText(/件見つかりました/).waitFor();
    await page.locator("#results button.result").first().click();
    await page.locator("#detail-heading").waitFor();
    return (await page.locator("#detail .windows").textContent()) ?? "";
  };
  // Roles and channels are public; direct lines and the hours not to call are for professionals (issue 13).
  const publicWindows = await openFirstStation();
  expect(publicWindows).toMatch(/希望する連絡手段/);
  expect(publicWindows).not.toMatch(/直通電話|連絡を避けたい時間/);
  // Faces are for the same viewers as names (the API returns photoUrl null to the public): none shown, none fetched.
  expect(await page.locator("#detail .windows img").count()).toBe(0);
  expect(photoRequests).toEqual([]);

  const signIn = async (token: string) => {
    if ((await page.locator("details.sign-in").getAttribute("open")) === null) await page.getByText("専門職の方（サインイン）").click();
    await page.getByLabel("アクセストークン").fill(token);
    await page.getByRole("button", { name: "サインイン", exact: true }).click();
  };
  const professional = (await bearer({ role: "PROFESSIONAL", subject: "cm-portal", displayName: "山田 花子" })).authorization.replace("Bearer ", "");
  await signIn(professional);
  await page.getByText("山田 花子（専門職）としてサインインしました。連絡窓口の直通電話・メールが表示されます。").waitFor();
  await page.getByRole("button", { name: "一覧にもどる" }).click();
  expect(await page.evaluate("[localStorage.length, sessionStorage.length, document.cookie]")).toEqual([0, 0, ""]);
  const professionalWindows = await openFirstStation();
  expect(professionalWindows).toMatch(/直通電話：0\d{1,4}-\d{1,4}-\d{4}/);
  expect(professionalWindows).toMatch(/連絡を避けたい時間/);
  const windows = await page.locator("#detail .windows li").count();
  const photos = page.locator("#detail .windows img.face");
  expect(await photos.count()).toBe(windows);
  const names = await page.locator("#detail .windows li strong").allTextContents();
  expect(await photos.evaluateAll((images) => images.map((image) => image.getAttribute("alt")))).toEqual(names.map((name) => `${name}さんの顔写真`));
  await page.waitForFunction("[...document.querySelectorAll('#detail .windows img.face')].every((image) => image.complete && image.naturalWidth === 1)");
  expect(photoRequests.length).toBe(windows);
  for (const url of photoRequests) expect(url).toMatch(/^https:\/\/example\.org\/photos\/r\d+-\d\.jpg$/);
  await keepScreenshot(page, "portal-professional-contact-windows");

  await page.getByRole("button", { name: "サインアウト" }).click();
  const [header, payload] = professional.split(".");
  await signIn(`${header}.${payload}.forged-signature`);
  await page.getByRole("button", { name: "さがす" }).click();
  await page.getByText("サインインが無効か期限切れです。").waitFor();

  expect(foreign.filter((url) => !url.startsWith(PHOTO_SERVER))).toEqual([]);
  await context.close();
});

test("with the network gone after the page loaded, a search says clearly that the server cannot be reached", async () => {
  const context = await browser.newContext({ locale: "ja-JP", timezoneId: "Asia/Tokyo" });
  const { page } = await openPortal(context);
  await context.setOffline(true);
  await page.getByLabel("ことば（名前・よみがな）").fill("ほうもんかんご");
  await page.getByRole("button", { name: "さがす" }).click();
  await page.getByText("サーバーに接続できません。通信環境を確かめてください。").waitFor();
  expect(await page.locator("#results li").count()).toBe(0);
  await context.close();
});

test("a tile server set in data-tile-url is used for the map's background, with its attribution", async () => {
  const context = await browser.newContext({ locale: "ja-JP", timezoneId: "Asia/Tokyo" });
  // A city that runs its own tile server edits the attribute; here the page is served with it set, and the tiles answered in the browser.
  await context.route(`${origin}/portal`, async (route) => {
    const response = await route.fetch();
    const html = (await response.text())
      .replace('data-tile-url=""', `data-tile-url="${origin}/tiles/{z}/{x}/{y}.png"`)
      .replace('data-tile-attribution=""', 'data-tile-attribution="市の地図タイル"');
    await route.fulfill({ response, body: html });
  });
  const tiles: string[] = [];
  const blankTile = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=", "base64");
  await context.route(`${origin}/tiles/**`, async (route) => {
    tiles.push(new URL(route.request().url()).pathname);
    await route.fulfill({ status: 200, contentType: "image/png", body: blankTile });
  });
  const { page } = await openPortal(context);
  await page.locator("#map img.leaflet-tile-loaded").first().waitFor();
  expect(tiles.length).toBeGreaterThan(0);
  // At the opening zoom, or the one that fits the district outlines once they arrive.
  for (const tile of tiles) expect(tile).toMatch(/^\/tiles\/1[0-3]\/\d+\/\d+\.png$/);
  expect(await page.locator("#map .leaflet-control-attribution").textContent()).toContain("市の地図タイル");
  await context.close();
});
