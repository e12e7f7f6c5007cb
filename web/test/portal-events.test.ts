// The portal's events in a real browser against the whole demo system: the events residents may attend, the calendar subscription link, and a resident's registration with its access code.
import type { Browser } from "playwright-core";
import { startSystemStack } from "../../gateway/test/system-stack";
import type { SystemStack } from "../../gateway/test/system-stack";
import { accessibilityViolations, keepScreenshot, launchChromium } from "./browser";

let stack: SystemStack;
let browser: Browser;

beforeAll(async () => {
  stack = await startSystemStack();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

interface EventsAnswer {
  publicCalendarUrl: string;
  events: {
    edges: {
      node: {
        id: string;
        title: string;
        registrationOpen: boolean;
        registrationCounts: { registered: number };
        recurrence: { frequency: string } | null;
        occurrences: { startsAt: string }[];
      };
    }[];
  };
}

const EVENTS = `query ($from: DateTime!) { publicCalendarUrl events(filter: { from: $from, residentsWelcome: true }, first: 20) {
  edges { node { id title registrationOpen registrationCounts { registered } recurrence { frequency } occurrences(from: $from, first: 1) { startsAt } } } } }`;

test("a resident lists the events from a chosen day, subscribes to the public calendar, and registers for one without an account", async () => {
  const context = await browser.newContext({ locale: "ja-JP", timezoneId: "Asia/Tokyo" });
  const page = await context.newPage();
  await page.goto(`${stack.origin}/portal`);
  // The demo year's events for residents, from the first of November 2026 on.
  const from = "2026-11-01T00:00:00+09:00";
  const before = await stack.data<EventsAnswer>(EVENTS, { from });
  expect(before.events.edges.length).toBeGreaterThan(0);

  await page.getByLabel("この日以降").fill("2026-11-01");
  await page.getByRole("button", { name: "催しを表示" }).click();
  await page.getByText(`${before.events.edges.length}件の催しがあります。`).waitFor();
  expect(await page.locator("#events h3").allTextContents()).toEqual(before.events.edges.map((edge) => edge.node.title));
  // A repeating event (the demo's monthly dementia café) shows its next session from that day, not the series' first.
  const repeating = before.events.edges.findIndex((edge) => edge.node.recurrence !== null);
  expect(repeating).toBeGreaterThanOrEqual(0);
  const nextSession = new Date(before.events.edges[repeating].node.occurrences[0].startsAt);
  const nextDay = nextSession.toLocaleDateString("ja-JP", { timeZone: "Asia/Tokyo", year: "numeric", month: "long", day: "numeric" });
  expect(nextSession.getTime()).toBeGreaterThanOrEqual(new Date(from).getTime());
  expect(await page.locator("#events .facts").nth(repeating).textContent()).toMatch(new RegExp(`定例・次回 ${nextDay}\\(.\\) \\d{2}:\\d{2}〜\\d{2}:\\d{2}・`));

  // The calendar: a webcal:// subscription and the .ics file itself, both the graph's public feed.
  const subscribe = page.getByRole("link", { name: "カレンダーアプリで購読する" });
  expect(await subscribe.getAttribute("href")).toBe(before.publicCalendarUrl.replace(/^http:/, "webcal:"));
  const fileUrl = await page.getByRole("link", { name: "iCalendar ファイル（.ics）" }).getAttribute("href");
  expect(fileUrl).toBe(before.publicCalendarUrl);
  const feed = await page.request.get(`${stack.origin}${new URL(before.publicCalendarUrl).pathname}`);
  expect(feed.headers()["content-type"]).toMatch(/^text\/calendar/);
  const calendar = await feed.text();
  expect(calendar).toMatch(/^BEGIN:VCALENDAR/);

  // Registration: the first event open for it, with name, kana and phone; the access code is shown once.
  const open = before.events.edges.findIndex((edge) => edge.node.registrationOpen);
  expect(open).toBeGreaterThanOrEqual(0);
  const target = before.events.edges[open].node;
  const item = page.locator("#events li.event").nth(open);
  await item.getByText("申し込む", { exact: true }).first().click();
  await item.getByLabel("お名前（必須）").fill("能美 はな");
  await item.getByLabel("ふりがな").fill("のみ はな");
  await item.getByLabel("電話番号").fill("0761-22-0000");
  await item.getByRole("button", { name: /申し込む/ }).click();
  const result = item.locator(".register-result");
  await result.getByText(/受付コード：/).waitFor();
  expect(await result.textContent()).toMatch(
    /^(参加を受け付けました。|キャンセル待ち（\d+番目）で受け付けました。)受付コード：\S+（取消や確認に使います。控えてください）$/,
  );
  expect(await item.getByLabel("お名前（必須）").isDisabled()).toBe(true);

  const after = await stack.data<EventsAnswer>(EVENTS, { from });
  expect(after.events.edges.find((edge) => edge.node.id === target.id)?.node.registrationCounts.registered).toBe(target.registrationCounts.registered + 1);
  // Nothing about the resident is kept in the browser.
  expect(await page.evaluate("[localStorage.length, sessionStorage.length, document.cookie]")).toEqual([0, 0, ""]);
  await keepScreenshot(page, "portal-events-registration");
  expect(await accessibilityViolations(page)).toEqual([]);
  await context.close();
});
