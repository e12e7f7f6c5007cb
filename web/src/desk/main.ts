// The coordinator's desk: sign-in with a token held in memory, the period form, and the figures (coverage heat map, programme against targets, Kitami's buckets, verification queue), printable on A4.
import { GraphQLRequestError, setBearerToken } from "../client";
import { formatNumber, formatShare, leadTimeChart, programmeChart, within48HoursChart } from "./charts";
import { renderHeatMap } from "./heatmap";
import { loadDeskFigures, loadMoreQueue, verifyResource } from "./queries";
import type { Coverage, DeskFigures, DeskPeriod, QueuedResource, VerificationQueue } from "./queries";

function byId<Kind extends HTMLElement>(id: string): Kind {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`desk.html lacks #${id}`);
  return found as Kind;
}

const signInForm = byId<HTMLFormElement>("sign-in");
const tokenInput = byId<HTMLInputElement>("token");
const signOutButton = byId<HTMLButtonElement>("sign-out");
const periodForm = byId<HTMLFormElement>("period");
const fiscalYearInput = byId<HTMLInputElement>("fiscal-year");
const monthInput = byId<HTMLInputElement>("month");
const staleMonthsSelect = byId<HTMLSelectElement>("stale-months");
const printButton = byId<HTMLButtonElement>("print");
const status = byId<HTMLParagraphElement>("status");
const figures = byId<HTMLDivElement>("figures");
const printSubtitle = byId<HTMLParagraphElement>("print-subtitle");
const coverageTargetInput = byId<HTMLInputElement>("coverage-target");
const coverageSummary = byId<HTMLParagraphElement>("coverage-summary");
const coverageTable = byId<HTMLTableElement>("coverage");
const programmeSummary = byId<HTMLParagraphElement>("programme-summary");
const programmeChartBox = byId<HTMLDivElement>("programme-chart");
const programmeTable = byId<HTMLTableElement>("programme-table");
const transitionsSummary = byId<HTMLParagraphElement>("transitions-summary");
const leadTimeChartBox = byId<HTMLDivElement>("lead-time-chart");
const within48ChartBox = byId<HTMLDivElement>("within-48-chart");
const queueSummary = byId<HTMLParagraphElement>("queue-summary");
const queueTable = byId<HTMLTableElement>("queue");
const queueMoreButton = byId<HTMLButtonElement>("queue-more");

const TOKYO = "Asia/Tokyo";
let coverage: Coverage | null = null;
let queue: { staleBefore: string; totalCount: number; endCursor: string | null; hasNextPage: boolean } | null = null;

/** Today's year, month and day in Tokyo. */
function tokyoToday(): { year: number; month: number; day: number } {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: TOKYO, year: "numeric", month: "numeric", day: "numeric" }).formatToParts(new Date());
  const part = (type: string) => Number(parts.find((entry) => entry.type === type)?.value);
  return { year: part("year"), month: part("month"), day: part("day") };
}

function pad(value: number): string {
  return String(value).padStart(2, "0");
}

/** Defaults: the current fiscal year (April to March) and the last complete month. */
function setDefaultPeriod(): void {
  const today = tokyoToday();
  fiscalYearInput.value = String(today.month >= 4 ? today.year : today.year - 1);
  const lastMonth = today.month === 1 ? { year: today.year - 1, month: 12 } : { year: today.year, month: today.month - 1 };
  monthInput.value = `${lastMonth.year}-${pad(lastMonth.month)}`;
}

/** The form's period; throws a message a person can act on when a field is out of range. */
function periodFromForm(): DeskPeriod & { fiscalYear: number; monthLabel: string } {
  const fiscalYear = Number(fiscalYearInput.value);
  if (!Number.isInteger(fiscalYear) || fiscalYear < 2000 || fiscalYear > 2100) throw new Error("年度は2000〜2100の西暦で入れてください。");
  const month = /^(\d{4})-(\d{2})$/.exec(monthInput.value);
  if (month === null) throw new Error("退院連絡の集計月を選んでください（例：2026-09）。");
  const [year, monthNumber] = [Number(month[1]), Number(month[2])];
  const lastDay = new Date(Date.UTC(year, monthNumber, 0)).getUTCDate();
  const staleBefore = new Date();
  staleBefore.setMonth(staleBefore.getMonth() - Number(staleMonthsSelect.value));
  return {
    fiscalYear,
    monthLabel: `${year}年${monthNumber}月`,
    fiscalYearFrom: `${fiscalYear}-04-01T00:00:00+09:00`,
    fiscalYearTo: `${fiscalYear + 1}-04-01T00:00:00+09:00`,
    monthFrom: `${year}-${pad(monthNumber)}-01`,
    monthTo: `${year}-${pad(monthNumber)}-${pad(lastDay)}`,
    staleBefore: staleBefore.toISOString(),
  };
}

function explain(error: unknown): string {
  if (error instanceof GraphQLRequestError && error.code === "FORBIDDEN")
    return "この集計はコーディネーター（調整役）と管理者のためのものです。お使いのトークンの役割では表示できません。";
  if (error instanceof GraphQLRequestError && error.code === "UNAUTHENTICATED")
    return "サインインが無効か期限切れです。新しいトークンでサインインしてください。";
  if (error instanceof GraphQLRequestError) return error.code === "NETWORK" ? error.message : `エラー：${error.message}`;
  return error instanceof Error ? error.message : "予期しないエラーが起きました。";
}

function formatDate(iso: string): string {
  return new Date(iso).toLocaleDateString("ja-JP", { timeZone: TOKYO, year: "numeric", month: "long", day: "numeric" });
}

function renderCoverage(): void {
  if (coverage === null) return;
  const target = Math.max(1, Math.trunc(Number(coverageTargetInput.value)) || 1);
  const below = renderHeatMap(coverageTable, coverage, target);
  const total = coverage.districts.length * coverage.categories.length;
  coverageSummary.textContent = `${coverage.districts.length}圏域×${coverage.categories.length}分類の${total}セルのうち、目標（${target}か所）に届かない「不足」は${below}セルです。`;
}

function renderProgramme({ eventStats }: DeskFigures, fiscalYear: number): void {
  programmeSummary.textContent = `${fiscalYear}年度（${formatDate(eventStats.asOf)}時点）：開催${formatNumber(eventStats.events)}件、出席者（延べ）${formatNumber(eventStats.participants)}人。`;
  if (eventStats.targets.length === 0) {
    programmeChartBox.replaceChildren();
    programmeTable.replaceChildren();
    programmeSummary.textContent += `この年度の目標は設定されていません。`;
    return;
  }
  programmeChartBox.replaceChildren(programmeChart(eventStats.targets, fiscalYear));
  programmeTable.replaceChildren();
  programmeTable.createCaption().textContent = `${fiscalYear}年度の実績と目標（数値）`;
  const head = programmeTable.createTHead().insertRow();
  for (const title of ["指標", "実績", "目標", "達成率"]) {
    const cell = document.createElement("th");
    cell.scope = "col";
    cell.textContent = title;
    head.append(cell);
  }
  const body = programmeTable.createTBody();
  for (const progress of eventStats.targets) {
    const row = body.insertRow();
    const label = document.createElement("th");
    label.scope = "row";
    label.textContent = progress.label;
    row.append(label);
    row.insertCell().textContent = progress.actual === null ? "データなし" : formatNumber(progress.actual);
    row.insertCell().textContent = formatNumber(progress.target);
    row.insertCell().textContent =
      progress.percentOfTarget === null ? "—" : `${formatNumber(progress.percentOfTarget)}%（${progress.percentOfTarget >= 100 ? "達成" : "未達"}）`;
  }
}

function renderTransitions({ transitionStats }: DeskFigures, monthLabel: string): void {
  transitionsSummary.textContent =
    `${monthLabel}に退院予定の退院連絡${transitionStats.dischargeNotices}件。5日以上前の連絡 ${formatShare(transitionStats.fiveDaysOrMoreShare)}、` +
    `48時間以内に在宅サービスが始まった割合 ${formatShare(transitionStats.firstServiceWithin48HoursShare)}（${transitionStats.firstServiceWithin48Hours}件）。`;
  leadTimeChartBox.replaceChildren(leadTimeChart(transitionStats, monthLabel));
  within48ChartBox.replaceChildren(within48HoursChart(transitionStats, monthLabel));
}

function queueRow(resource: QueuedResource): HTMLTableRowElement {
  const row = document.createElement("tr");
  row.dataset.id = resource.id;
  const name = document.createElement("th");
  name.scope = "row";
  name.textContent = resource.names.official;
  row.append(name);
  const cells = [
    resource.category.labelJa,
    resource.address.district ?? "圏域なし",
    resource.provenance.verifiedAt === null ? "未確認" : formatDate(resource.provenance.verifiedAt),
    formatDate(resource.provenance.modifiedAt),
  ];
  for (const text of cells) {
    const cell = document.createElement("td");
    cell.textContent = text;
    row.append(cell);
  }
  const action = document.createElement("td");
  action.className = "screen-only";
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = "確認済みにする";
  button.setAttribute("aria-label", `${resource.names.official}を確認済みにする`);
  button.addEventListener("click", () => void verify(resource, row, button));
  action.append(button);
  row.append(action);
  return row;
}

function renderQueueSummary(): void {
  if (queue === null) return;
  const shown = queueTable.tBodies[0]?.rows.length ?? 0;
  queueSummary.textContent = `${formatDate(queue.staleBefore)}より前に確認した、または未確認の資源が${queue.totalCount}件あります（古い順に${shown}件を表示）。`;
  queueMoreButton.hidden = !queue.hasNextPage;
}

function appendQueue(page: VerificationQueue): void {
  const body = queueTable.tBodies[0] ?? queueTable.createTBody();
  for (const edge of page.edges) body.append(queueRow(edge.node));
  if (queue !== null) Object.assign(queue, { totalCount: page.totalCount, endCursor: page.pageInfo.endCursor, hasNextPage: page.pageInfo.hasNextPage });
  renderQueueSummary();
}

function renderQueue({ staleResources }: DeskFigures, staleBefore: string): void {
  queue = { staleBefore, totalCount: staleResources.totalCount, endCursor: null, hasNextPage: false };
  queueTable.replaceChildren();
  queueTable.createCaption().textContent = "確認待ちの地域資源（古い順）";
  const head = queueTable.createTHead().insertRow();
  for (const title of ["名称", "分類", "圏域", "最終確認", "内容の更新"]) {
    const cell = document.createElement("th");
    cell.scope = "col";
    cell.textContent = title;
    head.append(cell);
  }
  const actionHeading = document.createElement("th");
  actionHeading.scope = "col";
  actionHeading.className = "screen-only";
  actionHeading.textContent = "操作";
  head.append(actionHeading);
  appendQueue(staleResources);
}

async function verify(resource: QueuedResource, row: HTMLTableRowElement, button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  try {
    const provenance = await verifyResource(resource.id);
    // Focus moves to the next row's action (or the summary), so keyboard users keep their place.
    const next = (row.nextElementSibling ?? row.previousElementSibling)?.querySelector("button");
    row.remove();
    if (queue !== null) queue.totalCount -= 1;
    renderQueueSummary();
    status.textContent = `「${resource.names.official}」を確認済みにしました（${provenance.verifiedAt === null ? "日時不明" : formatDate(provenance.verifiedAt)}、確認者：${provenance.verifiedBy ?? "不明"}）。`;
    if (next instanceof HTMLButtonElement) next.focus();
  } catch (error) {
    button.disabled = false;
    status.textContent = `確認済みにできませんでした。${explain(error)}`;
  }
}

function hideFigures(): void {
  figures.hidden = true;
  coverage = null;
  queue = null;
  for (const box of [coverageTable, programmeChartBox, programmeTable, leadTimeChartBox, within48ChartBox, queueTable]) box.replaceChildren();
  for (const text of [coverageSummary, programmeSummary, transitionsSummary, queueSummary, printSubtitle]) text.textContent = "";
}

async function showFigures(): Promise<void> {
  let period: ReturnType<typeof periodFromForm>;
  try {
    period = periodFromForm();
  } catch (error) {
    status.textContent = explain(error);
    return;
  }
  status.textContent = "集計を読み込んでいます…";
  let data: DeskFigures;
  try {
    data = await loadDeskFigures(period);
  } catch (error) {
    hideFigures();
    status.textContent = explain(error);
    return;
  }
  const city = data.districts[0];
  const place = city === undefined ? "" : `${city.prefecture}${city.city}`;
  printSubtitle.textContent = `${place}\u3000${formatDate(new Date().toISOString())}作成（事業：${period.fiscalYear}年度、退院連絡：${period.monthLabel}）`;
  coverage = data.resourceCoverage;
  renderCoverage();
  renderProgramme(data, period.fiscalYear);
  renderTransitions(data, period.monthLabel);
  renderQueue(data, period.staleBefore);
  figures.hidden = false;
  status.textContent = `${place === "" ? "" : `${place}の`}集計を表示しました。`;
}

signInForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const token = tokenInput.value.trim();
  if (token === "") {
    status.textContent = "アクセストークンを入れてください。";
    return;
  }
  setBearerToken(token);
  tokenInput.value = "";
  signOutButton.hidden = false;
  periodForm.hidden = false;
  void showFigures();
});

signOutButton.addEventListener("click", () => {
  setBearerToken(null);
  signOutButton.hidden = true;
  periodForm.hidden = true;
  hideFigures();
  status.textContent = "サインアウトしました。";
  tokenInput.focus();
});

periodForm.addEventListener("submit", (event) => {
  event.preventDefault();
  void showFigures();
});

coverageTargetInput.addEventListener("input", renderCoverage);

queueMoreButton.addEventListener("click", () => {
  if (queue?.endCursor == null) return;
  queueMoreButton.disabled = true;
  loadMoreQueue(queue.staleBefore, queue.endCursor)
    .then(appendQueue)
    .catch((error: unknown) => {
      status.textContent = `続きを読み込めませんでした。${explain(error)}`;
    })
    .finally(() => {
      queueMoreButton.disabled = false;
    });
});

printButton.addEventListener("click", () => window.print());

setDefaultPeriod();
