// The coordinator's desk in a real browser against the whole demo system: the coverage heat map's gaps, the programme and Kitami charts with the demo figures, the verification queue, refusal for other roles, keyboard reach and the A4 print layout.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { bearer } from "../../gateway/test/helpers";
import { startSystemStack } from "../../gateway/test/system-stack";
import type { SystemStack } from "../../gateway/test/system-stack";
import { ARTIFACTS_DIR, accessibilityViolations, keepScreenshot, launchChromium } from "./browser";

let stack: SystemStack;
let browser: Browser;
let coordinator: string;
let coordinatorHeaders: Record<string, string>;

/** The demo's programme year (fiscal 2025, April 2025 to March 2026) and its month of discharge notices (September 2026). */
const FISCAL_YEAR = 2025;
const NOTICE_MONTH = "2026-09";

interface CoverageAnswer {
  resourceCoverage: {
    districts: string[];
    categories: { code: string; labelJa: string }[];
    cells: { district: string; category: { code: string }; count: number }[];
    gaps: { district: string; category: { code: string; labelJa: string } }[];
  };
}

beforeAll(async () => {
  stack = await startSystemStack();
  browser = await launchChromium();
  coordinatorHeaders = await bearer({ role: "COORDINATOR", subject: "coordinator-desk", displayName: "北 町子" });
  coordinator = coordinatorHeaders.authorization.replace("Bearer ", "");
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** A page of the desk in its own context, recording every request leaving the gateway's origin. */
async function openDesk(context: BrowserContext): Promise<{ page: Page; foreign: string[] }> {
  const page = await context.newPage();
  const foreign: string[] = [];
  page.on("request", (request) => {
    const url = request.url();
    if (!url.startsWith(stack.origin) && !url.startsWith("data:") && !url.startsWith("blob:")) foreign.push(url);
  });
  await page.goto(`${stack.origin}/desk`);
  return { page, foreign };
}

/** Signs in with `token` and asks for the demo's fiscal year and notice month. */
async function signInForDemoFigures(page: Page, token: string): Promise<void> {
  await page.getByLabel("アクセストークン").fill(token);
  await page.getByRole("button", { name: "サインイン", exact: true }).click();
  await page.getByLabel("事業の年度（4月始まり）").fill(String(FISCAL_YEAR));
  await page.getByLabel("退院連絡の集計月（退院予定日）").fill(NOTICE_MONTH);
  await page.getByRole("button", { name: "集計を表示" }).click();
  await page.getByText("石川県つなぐ市の集計を表示しました。").waitFor();
}

const newContext = () => browser.newContext({ locale: "ja-JP", timezoneId: "Asia/Tokyo", viewport: { width: 1280, height: 900 } });

test("a coordinator signs in and the heat map shows the demo city's gaps, in words as well as colour, against a target they can raise", async () => {
  const context = await newContext();
  const { page, foreign } = await openDesk(context);
  await signInForDemoFigures(page, coordinator);
  const { resourceCoverage } = await stack.data<CoverageAnswer>(
    `{ resourceCoverage { districts categories { code labelJa } cells { district category { code } count } gaps { district category { code labelJa } } } }`,
  );
  const cellOf = (code: string, district: string) => page.locator(`#coverage tr[data-category="${code}"] td[data-district="${district}"]`);

  // Every district and category of the demo city, one cell each.
  expect(await page.locator("#coverage thead th[scope=col]").allTextContents()).toEqual(["分類＼圏域", ...resourceCoverage.districts]);
  expect(await page.locator("#coverage tbody th[scope=row]").allTextContents()).toEqual(resourceCoverage.categories.map((category) => category.labelJa));
  expect(await page.locator("#coverage td").count()).toBe(resourceCoverage.cells.length);

  // The seeded gaps: e.g. no hospital in 山麓圏域; each zero says 不足 and is marked as a gap.
  expect(resourceCoverage.gaps.length).toBeGreaterThan(0);
  expect(resourceCoverage.gaps).toContainEqual({ district: "山麓圏域", category: { code: "hospital", labelJa: "病院" } });
  expect(await cellOf("hospital", "山麓圏域").textContent()).toBe("0 不足");
  for (const gap of resourceCoverage.gaps) {
    const cell = cellOf(gap.category.code, gap.district);
    expect(await cell.textContent()).toBe("0 不足");
    expect(await cell.getAttribute("class")).toBe("cell gap");
  }
  // A covered cell shows its count without the word.
  const covered = resourceCoverage.cells.find((cell) => cell.count >= 3);
  if (covered === undefined) throw new Error("the demo city has no district with three of a kind");
  expect(await cellOf(covered.category.code, covered.district).textContent()).toBe(String(covered.count));
  const total = resourceCoverage.cells.length;
  await page.getByText(`${total}セルのうち、目標（1か所）に届かない「不足」は${resourceCoverage.gaps.length}セルです。`).waitFor();
  // The gap's shade differs from a covered cell's, and its text keeps AA contrast.
  const styleOf = (code: string, district: string) =>
    page.evaluate<{ image: string; colour: string }>(`(() => {
      const style = getComputedStyle(document.querySelector(${JSON.stringify(`#coverage tr[data-category="${code}"] td[data-district="${district}"]`)}));
      return { image: style.backgroundImage, colour: style.color };
    })()`);
  const gapStyle = await styleOf("hospital", "山麓圏域");
  const coveredStyle = await styleOf(covered.category.code, covered.district);
  expect(gapStyle.image).toContain("gradient");
  expect(coveredStyle.image).toBe("none");
  expect(gapStyle.colour).toBe("rgb(138, 17, 17)");

  // Raising the target to two marks every cell with fewer than two.
  await page.getByLabel("各圏域の目標数（これ未満を「不足」と表示）").fill("2");
  const belowTwo = resourceCoverage.cells.filter((cell) => cell.count < 2);
  await page.getByText(`目標（2か所）に届かない「不足」は${belowTwo.length}セルです。`).waitFor();
  expect(await page.locator("#coverage td.gap").count()).toBe(belowTwo.length);
  const single = belowTwo.find((cell) => cell.count === 1);
  if (single !== undefined) expect(await cellOf(single.category.code, single.district).textContent()).toBe("1 不足");
  await keepScreenshot(page, "desk-coverage-heat-map");
  // Labels, names, contrast and structure by axe-core's WCAG 2.2 A/AA rules, with every section shown.
  expect(await accessibilityViolations(page)).toEqual([]);

  // The token stays in memory only.
  expect(await page.evaluate("[localStorage.length, sessionStorage.length, document.cookie]")).toEqual([0, 0, ""]);
  expect(foreign).toEqual([]);
  await context.close();
});

test("the programme figures against their targets, Kitami's lead-time buckets and the 48-hour share are drawn with the demo figures", async () => {
  const context = await newContext();
  const { page } = await openDesk(context);
  await signInForDemoFigures(page, coordinator);
  const { eventStats, transitionStats } = await stack.data<{
    eventStats: { targets: { label: string; target: number; actual: number | null; percentOfTarget: number | null }[] };
    transitionStats: {
      dischargeNotices: number;
      leadTimes: { bucket: string; count: number }[];
      firstServiceWithin48Hours: number;
      firstServiceWithin48HoursShare: number;
    };
  }>(
    `query ($from: DateTime!, $to: DateTime!, $first: Date!, $last: Date!) {
      eventStats(from: $from, to: $to) { targets { label target actual percentOfTarget } }
      transitionStats(from: $first, to: $last) { dischargeNotices leadTimes { bucket count } firstServiceWithin48Hours firstServiceWithin48HoursShare }
    }`,
    { from: "2025-04-01T00:00:00+09:00", to: "2026-04-01T00:00:00+09:00", first: "2026-09-01", last: "2026-09-30" },
    coordinatorHeaders,
  );

  // Programme: one bar per yearly target, named with its actual, target and percentage.
  const programme = page.locator('#programme-chart svg[aria-label="2025年度の実績と目標の達成率"]');
  await programme.waitFor();
  expect(eventStats.targets.length).toBe(4);
  const figure = (value: number) => value.toLocaleString("ja-JP", { maximumFractionDigits: 1 });
  const expectedBars = eventStats.targets.map((target) => {
    if (target.actual === null || target.percentOfTarget === null) throw new Error(`the demo year lacks an actual for ${target.label}`);
    const verdict = target.percentOfTarget >= 100 ? "達成" : "未達";
    return `${target.label}：${figure(target.actual)} / 目標 ${figure(target.target)}（${figure(target.percentOfTarget)}%・${verdict}）`;
  });
  expect(await programme.locator("rect[aria-label]").evaluateAll((bars) => bars.map((bar) => bar.getAttribute("aria-label")))).toEqual(expectedBars);
  // The demo's resident lectures fall short of their target; trainings exceed theirs.
  expect(expectedBars.some((bar) => bar.startsWith("住民向け講座の参加者数（延べ）") && bar.endsWith("未達）"))).toBe(true);
  expect(expectedBars.some((bar) => bar.startsWith("研修受講者数（延べ）") && bar.endsWith("達成）"))).toBe(true);
  const programmeText = (await programme.textContent()) ?? "";
  for (const bar of expectedBars) expect(programmeText).toContain(bar.split("：")[1]);
  // The same figures as a table.
  expect(await page.locator("#programme-table tbody tr").count()).toBe(eventStats.targets.length);

  // Kitami's buckets in survey order, every bucket present, with its count.
  const bucketNames: Record<string, string> = {
    EIGHT_OR_MORE_DAYS: "8日以上前",
    FIVE_TO_SEVEN: "5〜7日前",
    TWO_TO_FOUR: "2〜4日前",
    DAY_BEFORE: "前日",
    SAME_DAY: "当日",
    AFTER_DISCHARGE: "退院後",
    UNKNOWN: "不明",
  };
  expect(transitionStats.dischargeNotices).toBeGreaterThan(0);
  const leadTime = page.locator(`#lead-time-chart svg[aria-label="2026年9月の退院連絡の時期（全${transitionStats.dischargeNotices}件）"]`);
  await leadTime.waitFor();
  expect(await leadTime.locator("rect[aria-label]").evaluateAll((bars) => bars.map((bar) => bar.getAttribute("aria-label")))).toEqual(
    transitionStats.leadTimes.map((row) => `${bucketNames[row.bucket]} ${row.count}件`),
  );
  const leadTimeText = (await leadTime.textContent()) ?? "";
  for (const row of transitionStats.leadTimes) expect(leadTimeText).toContain(`${row.count}件`);

  // The 48-hour share, as a percentage and a count.
  const share = `${(transitionStats.firstServiceWithin48HoursShare * 100).toFixed(1)}%`;
  const within48 = page.locator(`#within-48-chart svg[aria-label="2026年9月に退院した人のうち48時間以内に在宅サービスが始まった割合 ${share}"]`);
  await within48.waitFor();
  expect(await within48.textContent()).toContain(`${transitionStats.firstServiceWithin48Hours}件（${share}）`);
  expect(await page.locator("#transitions-summary").textContent()).toContain(
    `48時間以内に在宅サービスが始まった割合 ${share}（${transitionStats.firstServiceWithin48Hours}件）`,
  );
  await page.locator("#transitions-heading").scrollIntoViewIfNeeded();
  await keepScreenshot(page, "desk-charts");
  await context.close();
});

test("the controls and the verification queue's actions are reached and used with the keyboard; a verification is recorded in the graph", async () => {
  const context = await newContext();
  const { page } = await openDesk(context);
  await page.keyboard.press("Tab");
  expect(await page.evaluate("document.activeElement?.id")).toBe("token");
  await page.keyboard.type(coordinator);
  await page.keyboard.press("Enter");
  await page.getByText(/集計を表示しました。/).waitFor();

  // From the sign-in on, Tab reaches every control of the desk.
  await page.getByLabel("アクセストークン").focus();
  const reached = new Set<string>();
  for (let step = 0; step < 30; step += 1) {
    await page.keyboard.press("Tab");
    reached.add(
      await page.evaluate("(document.activeElement?.id || document.activeElement?.getAttribute('aria-label') || document.activeElement?.textContent) ?? ''"),
    );
  }
  for (const control of ["fiscal-year", "month", "stale-months", "集計を表示", "print", "coverage-target", "圏域×分類の件数表（横にスクロールできます）"]) {
    expect(reached).toContain(control);
  }
  expect([...reached].some((name) => name.endsWith("を確認済みにする"))).toBe(true);

  // The queue (by default, verified over a year ago or never), oldest first: the never verified come first.
  const yearAgo = new Date();
  yearAgo.setMonth(yearAgo.getMonth() - 12);
  const before = await stack.data<{ staleResources: { totalCount: number } }>(
    `query ($at: DateTime!) { staleResources(olderThan: $at, first: 0) { totalCount } }`,
    { at: yearAgo.toISOString() },
    coordinatorHeaders,
  );
  const firstRow = page.locator("#queue tbody tr").first();
  const id = await firstRow.getAttribute("data-id");
  const name = (await firstRow.locator("th").textContent()) ?? "";
  expect(await firstRow.locator("td").nth(2).textContent()).toBe("未確認");
  await page.getByText(`未確認の資源が${before.staleResources.totalCount}件あります（古い順に20件を表示）。`).waitFor();

  await page.getByRole("button", { name: `${name}を確認済みにする` }).focus();
  await page.keyboard.press("Enter");
  await page.getByText(`「${name}」を確認済みにしました`).waitFor();
  expect(await page.locator(`#queue tr[data-id="${id}"]`).count()).toBe(0);
  await page.getByText(`未確認の資源が${before.staleResources.totalCount - 1}件あります（古い順に19件を表示）。`).waitFor();
  // Focus stays in the queue, on the next resource's action.
  expect(await page.evaluate("document.activeElement?.getAttribute('aria-label')")).toMatch(/を確認済みにする$/);
  const { resource } = await stack.data<{ resource: { provenance: { verifiedAt: string | null; verifiedBy: string | null } } }>(
    `query ($id: ID!) { resource(id: $id) { provenance { verifiedAt verifiedBy } } }`,
    { id },
  );
  expect(resource.provenance.verifiedAt).not.toBeNull();
  expect(Math.abs(new Date(resource.provenance.verifiedAt ?? 0).getTime() - Date.now())).toBeLessThan(60_000);

  // The next page of the queue.
  await page.getByRole("button", { name: "さらに表示" }).click();
  await page.getByText("（古い順に39件を表示）", { exact: false }).waitFor();
  await context.close();
});

test("a professional's token gets a clear message and no figures; a forged token is refused", async () => {
  const context = await newContext();
  const { page } = await openDesk(context);
  const professional = (await bearer({ role: "PROFESSIONAL", subject: "cm-desk", displayName: "山田 花子" })).authorization.replace("Bearer ", "");
  await page.getByLabel("アクセストークン").fill(professional);
  await page.getByRole("button", { name: "サインイン", exact: true }).click();
  await page.getByText("この集計はコーディネーター（調整役）と管理者のためのものです。お使いのトークンの役割では表示できません。").waitFor();
  expect(await page.locator("#figures").isHidden()).toBe(true);
  expect(await page.locator("#figures td, #figures svg").count()).toBe(0);
  expect(await page.locator("#coverage-summary, #programme-summary, #transitions-summary, #queue-summary").allTextContents()).toEqual(["", "", "", ""]);
  await keepScreenshot(page, "desk-professional-refused");

  // After a coordinator saw the figures, a forged token takes them away again.
  await page.getByRole("button", { name: "サインアウト" }).click();
  await signInForDemoFigures(page, coordinator);
  expect(await page.locator("#figures").isVisible()).toBe(true);
  const [header, payload] = coordinator.split(".");
  await page.getByRole("button", { name: "サインアウト" }).click();
  expect(await page.locator("#figures").isHidden()).toBe(true);
  await page.getByLabel("アクセストークン").fill(`${header}.${payload}.forged-signature`);
  await page.getByRole("button", { name: "サインイン", exact: true }).click();
  await page.getByText("サインインが無効か期限切れです。新しいトークンでサインインしてください。").waitFor();
  expect(await page.locator("#figures td, #figures svg").count()).toBe(0);
  await context.close();
});

test("printed on A4, the desk has the city and the date as its heading, no controls, and nothing wider than the page", async () => {
  const context = await newContext();
  const { page } = await openDesk(context);
  await signInForDemoFigures(page, coordinator);
  await page.emulateMedia({ media: "print" });
  // A4 is 210 mm wide; less 12 mm margins each side, 186 mm = 703 CSS pixels at 96 per inch.
  const printableWidth = Math.floor((186 / 25.4) * 96);
  await page.setViewportSize({ width: printableWidth, height: 1000 });

  const today = new Date().toLocaleDateString("ja-JP", { timeZone: "Asia/Tokyo", year: "numeric", month: "long", day: "numeric" });
  expect(await page.locator("#print-subtitle").textContent()).toBe(`石川県つなぐ市\u3000${today}作成（事業：2025年度、退院連絡：2026年9月）`);
  expect(await page.locator("#print-subtitle").isVisible()).toBe(true);
  for (const hidden of ["#sign-in", "#period", "#status", "#coverage-target", "#queue button"]) {
    expect(await page.locator(hidden).first().isHidden()).toBe(true);
  }
  // Every element's box, as the browser lays it out for print (the tests' TypeScript has no DOM types, so the check is a string).
  const overflowing = await page.evaluate<{ wide: string[]; scrollWidth: number }>(`(() => {
    const wide = [];
    for (const node of document.body.querySelectorAll("*")) {
      const box = node.getBoundingClientRect();
      if (box.width > 0 && (box.left < -0.5 || box.right > ${printableWidth} + 0.5)) wide.push(node.tagName + "#" + node.id + " left=" + box.left + " right=" + box.right);
    }
    return { wide, scrollWidth: document.documentElement.scrollWidth };
  })()`);
  expect(overflowing.wide).toEqual([]);
  expect(overflowing.scrollWidth).toBeLessThanOrEqual(printableWidth);
  // Every chart fits the page and keeps its proportions.
  for (const size of await page.locator(".chart svg").evaluateAll((charts) => charts.map((chart) => chart.getBoundingClientRect().width))) {
    expect(size).toBeGreaterThan(100);
    expect(size).toBeLessThanOrEqual(printableWidth);
  }

  const pdf = await page.pdf({ format: "A4", printBackground: true });
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  writeFileSync(join(ARTIFACTS_DIR, "desk-a4.pdf"), pdf);
  const pages = (pdf.toString("latin1").match(/\/Type\s*\/Page[^s]/g) ?? []).length;
  // The heat map, the charts and a page of the queue: a few sheets for the council, not dozens.
  expect(pages).toBeGreaterThanOrEqual(2);
  expect(pages).toBeLessThanOrEqual(4);
  // Every sheet is A4 (210 × 297 mm, about 595 × 842 points; Chromium writes 595.92 × 842.88).
  const sheets = [...pdf.toString("latin1").matchAll(/MediaBox\s*\[0 0 ([\d.]+) ([\d.]+)\]/g)].map((match) => [
    Math.round(Number(match[1])),
    Math.round(Number(match[2])),
  ]);
  expect(sheets.length).toBe(pages);
  for (const sheet of sheets) expect(sheet).toEqual([596, 843]);
  await keepScreenshot(page, "desk-print-layout");
  await context.close();
});
