// The crew view on a phone-sized Chromium against the whole system: a QR scan with the fake camera, name and date of birth, a dropped connection retried with the same request key (one audit entry), nothing of the patient left on the device, and the shell opening offline.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { testToken } from "@tsunagu/test-kit";
import { startSystemStack } from "../../gateway/test/system-stack";
import type { SystemStack } from "../../gateway/test/system-stack";
import { writeQrY4m } from "./fake-camera";
import { CREW_SHELL_KEPT, keepScreenshot, launchChromium } from "./browser";

interface Resident {
  subject: string;
  id: string;
  person: { name: string; dateOfBirth: string };
  card: { code: string; printed: string; qrPayload: string };
  medications: { name: string; note: string | null; source: { verification: string; confirmedAt: string | null } }[];
  allergies: { substance: string }[];
}

let stack: SystemStack;
let browser: Browser;
let origin: string;
const residents: Resident[] = [];

beforeAll(async () => {
  stack = await startSystemStack();
  origin = stack.origin;
  browser = await launchChromium();
  // The demo residents as each sees their own profile (card code and QR payload are shown only to the holder).
  for (let index = 1; index <= 12; index++) {
    const subject = `demo-resident-${String(index).padStart(5, "0")}`;
    const { myEmergencyProfiles } = await stack.data<{ myEmergencyProfiles: Omit<Resident, "subject">[] }>(
      `{ myEmergencyProfiles { id person { name dateOfBirth } card { code printed qrPayload } medications { name note source { verification confirmedAt } } allergies { substance } } }`,
      {},
      { authorization: `Bearer ${await testToken({ role: "RESIDENT", subject })}` },
    );
    residents.push({ subject, ...myEmergencyProfiles[0] });
  }
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** A demo resident on anticoagulants (the seed gives some apixaban), else the first not yet used. */
function residentWith(predicate: (resident: Resident) => boolean, used: Set<string>): Resident {
  const found = residents.find((resident) => !used.has(resident.subject) && predicate(resident)) ?? residents.find((resident) => !used.has(resident.subject));
  if (found === undefined) throw new Error("no demo resident left");
  used.add(found.subject);
  return found;
}
const used = new Set<string>();

async function crewToken(subject: string): Promise<string> {
  return testToken({ role: "EMS", subject, displayName: "救急隊 1", organizationId: "65f0000000000000000000c1" });
}

function phoneContext(target: Browser, options: Parameters<Browser["newContext"]>[0] = {}): Promise<BrowserContext> {
  return target.newContext({ locale: "ja-JP", timezoneId: "Asia/Tokyo", viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, ...options });
}

async function signIn(page: Page, subject: string): Promise<void> {
  await page.goto(`${origin}/crew`);
  await page.getByLabel("アクセストークン").fill(await crewToken(subject));
  await page.getByRole("button", { name: "サインイン" }).click();
  await page.getByText("救急隊 1（救急隊）").waitFor();
}

/** Look-up entries of the resident's access log for `incidentNumber`, as the resident reads them. */
async function lookupEntries(resident: Resident, incidentNumber: string): Promise<{ action: string; outcome: string; incidentNumber: string | null }[]> {
  const { myAccessLog } = await stack.data<{ myAccessLog: { edges: { node: { action: string; outcome: string; incidentNumber: string | null } }[] } }>(
    `{ myAccessLog(first: 100) { edges { node { action outcome incidentNumber } } } }`,
    {},
    { authorization: `Bearer ${await testToken({ role: "RESIDENT", subject: resident.subject })}` },
  );
  return myAccessLog.edges.map((edge) => edge.node).filter((entry) => entry.action === "LOOKUP" && entry.incidentNumber === incidentNumber);
}

/** In the page: what it left in the browser's storage — Web Storage, IndexedDB, cookies, and Cache Storage's URLs and bodies (the root tsconfig has no DOM types, hence a string). */
const DEVICE_STORAGE = `(async () => {
  const cached = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) cached.push({ url: request.url, body: await (await cache.match(request)).text() });
  }
  return { local: localStorage.length, session: sessionStorage.length, databases: (await indexedDB.databases()).length, cookie: document.cookie, cached };
})()`;

async function deviceStorage(
  page: Page,
): Promise<{ local: number; session: number; databases: number; cookie: string; cached: { url: string; body: string }[] }> {
  return page.evaluate(DEVICE_STORAGE);
}

test("a crew scans the fridge kit's QR code with the camera and sees the one-screen summary, warnings first, with tap-to-call", async () => {
  const resident = residentWith((r) => r.medications.some((m) => /抗凝固/.test(m.note ?? "")), used);
  const directory = mkdtempSync(join(tmpdir(), "crew-camera-"));
  const video = join(directory, "qr.y4m");
  writeQrY4m(resident.card.qrPayload, video);
  const cameraBrowser = await launchChromium([
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    `--use-file-for-fake-video-capture=${video}`,
  ]);
  try {
    const context = await phoneContext(cameraBrowser, { permissions: ["camera"] });
    const page = await context.newPage();
    const graphqlCacheHeaders: (string | undefined)[] = [];
    page.on("response", (response) => {
      if (new URL(response.url()).pathname === "/graphql") graphqlCacheHeaders.push(response.headers()["cache-control"]);
    });
    await signIn(page, "ems-crew-camera");
    await page.getByLabel("照会の理由（必須）").fill("自宅で意識低下、家族より通報");
    await page.getByLabel("事案番号（必須）").fill("R8-11-0501");
    await page.getByRole("button", { name: "QRコードを読み取る（カメラ）" }).click();

    const heading = page.getByRole("heading", { level: 2, name: new RegExp(`^${resident.person.name}`) });
    await heading.waitFor();
    expect(await page.evaluate("document.activeElement?.id")).toBe("summary-heading");
    expect(await page.locator("#access-window").textContent()).toMatch(/^閲覧期限 \d{2}:\d{2} まで（あと (30|29) 分）$/);
    const warnings = page.getByRole("group", { name: /要注意/ });
    expect(await warnings.locator("mark", { hasText: "抗凝固薬" }).count()).toBeGreaterThan(0);
    for (const allergy of resident.allergies) expect(await warnings.textContent()).toContain(allergy.substance);
    // Whom to call, each a tel: link; the primary hospital and the care manager with their phones.
    const calls = page.locator("#summary a.call");
    expect(await calls.count()).toBeGreaterThanOrEqual(2);
    for (const href of await calls.evaluateAll((links) => links.map((link) => link.getAttribute("href")))) expect(href).toMatch(/^tel:\+?\d{9,12}$/);
    expect(await page.locator("#summary").textContent()).toMatch(/かかりつけ病院：.+電話 0\d/);
    expect(await page.locator("#summary").textContent()).toMatch(/ケアマネジャー：.+電話 0\d/);
    // Each medication says whether a professional confirmed it (and on which day) or it was only reported.
    const medicationSection = page.locator("#summary section").filter({ has: page.getByRole("heading", { name: "服薬", exact: true }) });
    for (const medication of resident.medications) {
      const note = await medicationSection.locator("li", { hasText: medication.name }).first().locator(".source").textContent();
      if (medication.source.verification === "CLINICIAN_CONFIRMED") expect(note).toContain(`が確認 ${medication.source.confirmedAt?.slice(0, 10)}`);
      else expect(note).toMatch(/（(本人申告|家族等の申告|申告者不明)・未確認）/);
    }
    await keepScreenshot(page, "crew-qr-scan-summary");

    // The answers carrying the patient are marked not to be stored.
    expect(graphqlCacheHeaders.length).toBeGreaterThan(0);
    for (const header of graphqlCacheHeaders) expect(header).toContain("no-store");
    expect(await lookupEntries(resident, "R8-11-0501")).toEqual([{ action: "LOOKUP", outcome: "ALLOWED", incidentNumber: "R8-11-0501" }]);
    await context.close();
  } finally {
    await cameraBrowser.close();
    rmSync(directory, { recursive: true, force: true });
  }
});

test("a crew looks up by name and date of birth with the keyboard; the summary goes when the access window ends", async () => {
  const resident = residentWith(() => true, used);
  const context = await phoneContext(browser);
  const page = await context.newPage();
  await page.clock.install();
  await signIn(page, "ems-crew-name");
  await page.getByLabel("氏名と生年月日").check();
  await page.getByLabel("氏名（漢字またはカナ）").fill(resident.person.name);
  await page.getByLabel("生年月日", { exact: true }).fill(resident.person.dateOfBirth);
  await page.getByLabel("照会の理由（必須）").fill("転倒、頭部打撲");
  await page.getByLabel("事案番号（必須）").fill("R8-11-0502");
  await page.getByLabel("事案番号（必須）").press("Enter");
  await page.getByRole("heading", { level: 2, name: new RegExp(`^${resident.person.name}`) }).waitFor();
  await keepScreenshot(page, "crew-name-and-birth-date-summary");

  await page.clock.fastForward("31:00");
  await page.getByText("閲覧期間が終わったため、表示を消しました。").waitFor();
  expect(await page.locator("#summary").isHidden()).toBe(true);
  expect(await page.content()).not.toContain(resident.person.name);
  await context.close();
});

test("a dropped connection is retried with the same request key: the summary arrives and the resident's log has one look-up", async () => {
  const resident = residentWith(() => true, used);
  const context = await phoneContext(browser);
  const page = await context.newPage();
  const sentKeys: string[] = [];
  await context.route(`${origin}/graphql`, async (route) => {
    const body = route.request().postDataJSON() as { variables?: { input?: { requestKey?: string } } };
    const key = body.variables?.input?.requestKey;
    if (key === undefined) return route.continue();
    sentKeys.push(key);
    if (sentKeys.length === 1) {
      // The server answers (and logs the disclosure), but the answer never reaches the phone.
      await route.fetch();
      return route.abort("connectionreset");
    }
    return route.continue();
  });
  await signIn(page, "ems-crew-retry");
  await page.getByLabel("カードコード（10文字）").fill(resident.card.printed);
  await page.getByLabel("照会の理由（必須）").fill("呼吸困難");
  await page.getByLabel("事案番号（必須）").fill("R8-11-0503");
  await page.getByRole("button", { name: "照会する" }).click();
  await page.getByText(/通信が切れました。\d+秒後に同じ照会を再送します（2回目）/).waitFor();
  await page.getByRole("heading", { level: 2, name: new RegExp(`^${resident.person.name}`) }).waitFor();

  expect(sentKeys).toHaveLength(2);
  expect(sentKeys[1]).toBe(sentKeys[0]);
  expect(sentKeys[0]).toMatch(/^[0-9a-f]{32}$/);
  expect(await lookupEntries(resident, "R8-11-0503")).toEqual([{ action: "LOOKUP", outcome: "ALLOWED", incidentNumber: "R8-11-0503" }]);

  // Nothing of the patient stays on the device: no Web Storage, IndexedDB or cookie, and Cache Storage holds the shell only.
  await page.evaluate(CREW_SHELL_KEPT);
  const stored = await deviceStorage(page);
  expect([stored.local, stored.session, stored.databases, stored.cookie]).toEqual([0, 0, 0, ""]);
  for (const { url, body } of stored.cached) {
    expect(new URL(url).pathname).toMatch(/^\/crew$|^\/assets\//);
    expect(body).not.toContain(resident.person.name);
  }
  // Leaving the page takes the summary with it, also from the back-forward cache.
  await page.goto(`${origin}/`);
  await page.goBack();
  await page.getByRole("heading", { level: 1, name: "救急医療情報の照会" }).waitFor();
  expect(await page.content()).not.toContain(resident.person.name);
  await context.close();
});

test("offline after the first visit, the shell still opens from the service worker and says the data cannot be fetched", async () => {
  const context = await phoneContext(browser);
  const page = await context.newPage();
  await page.goto(`${origin}/crew`);
  // The service worker has kept the shell once it is active.
  await page.evaluate(CREW_SHELL_KEPT);
  await context.setOffline(true);
  const response = await page.reload();
  expect(response?.fromServiceWorker()).toBe(true);
  await page.getByText("オフラインです。画面は使えますが、照会結果は通信が戻るまで取得できません。").waitFor();
  await page.getByLabel("アクセストークン").fill(await crewToken("ems-crew-offline"));
  await page.getByRole("button", { name: "サインイン" }).click();
  await page.getByLabel("カードコード（10文字）").fill(residents[0].card.printed);
  await page.getByLabel("照会の理由（必須）").fill("意識障害");
  await page.getByLabel("事案番号（必須）").fill("R8-11-0504");
  await page.getByRole("button", { name: "照会する" }).click();
  await page.getByText(/通信が切れました。\d+秒後に同じ照会を再送します/).waitFor();
  await keepScreenshot(page, "crew-offline-shell");
  expect(await page.locator("#summary").isHidden()).toBe(true);
  await context.close();
});
