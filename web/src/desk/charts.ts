// The desk's charts drawn with Observable Plot (bundled): programme figures against their targets, Kitami's lead-time buckets and the 48-hour share; every bar carries its number as text and as its accessible name.
import * as Plot from "@observablehq/plot";
import type { LeadTimeBucket, TargetProgress, TransitionFigures } from "./queries";

/** Kitami's survey buckets in their survey order, with the Japanese names the reports use. */
const LEAD_TIME_LABELS: Record<LeadTimeBucket, string> = {
  EIGHT_OR_MORE_DAYS: "8日以上前",
  FIVE_TO_SEVEN: "5〜7日前",
  TWO_TO_FOUR: "2〜4日前",
  DAY_BEFORE: "前日",
  SAME_DAY: "当日",
  AFTER_DISCHARGE: "退院後",
  UNKNOWN: "不明",
};

/** Colours with at least 4.5:1 against white, so text in or beside them stays readable. */
const ACHIEVED = "#1e6b34";
const SHORT_OF_TARGET = "#a34700";
const NEUTRAL = "#0b5394";
const REST = "#5f6368";

const STYLE = { fontSize: "13px", fontFamily: "inherit", color: "#1a1a1a", background: "transparent" };

/** Plot names marks and bars with aria-label; ARIA allows a name only on elements with a role, so bars become images and marks groups. */
function withRoles(chart: SVGSVGElement | HTMLElement): Element {
  for (const named of Array.from(chart.querySelectorAll("[aria-label]"))) named.setAttribute("role", named.tagName.toLowerCase() === "g" ? "group" : "img");
  return chart;
}

export function formatNumber(value: number): string {
  return value.toLocaleString("ja-JP", { maximumFractionDigits: 1 });
}

export function formatShare(share: number | null): string {
  return share === null ? "データなし" : `${(share * 100).toFixed(1)}%`;
}

/** 「1,626 / 500（325.2%・達成）」: a target's actual, its target and how far it got. */
function describeTarget(progress: TargetProgress): string {
  if (progress.actual === null || progress.percentOfTarget === null) return `データなし / 目標 ${formatNumber(progress.target)}`;
  const verdict = progress.percentOfTarget >= 100 ? "達成" : "未達";
  return `${formatNumber(progress.actual)} / 目標 ${formatNumber(progress.target)}（${formatNumber(progress.percentOfTarget)}%・${verdict}）`;
}

/** Horizontal bars of each indicator's percentage of its target, a rule at 100%, and each indicator's name and figures as text above its bar. */
export function programmeChart(targets: readonly TargetProgress[], fiscalYear: number): Element {
  const rows = targets.map((progress) => ({ ...progress, percent: progress.percentOfTarget ?? 0, text: describeTarget(progress) }));
  const largest = Math.max(120, ...rows.map((row) => row.percent));
  return withRoles(
    Plot.plot({
      ariaLabel: `${fiscalYear}年度の実績と目標の達成率`,
      ariaDescription: rows.map((row) => `${row.label}：${row.text}`).join("。"),
      width: 680,
      height: 70 + rows.length * 56,
      marginLeft: 12,
      marginRight: 24,
      marginTop: 28,
      style: STYLE,
      x: { domain: [0, largest * 1.05], label: "目標に対する達成率（%）", grid: true },
      y: { domain: rows.map((row) => row.label), axis: null },
      marks: [
        Plot.barX(rows, {
          x: "percent",
          y: "label",
          fill: (row: (typeof rows)[number]) => (row.percent >= 100 ? ACHIEVED : SHORT_OF_TARGET),
          ariaLabel: (row: (typeof rows)[number]) => `${row.label}：${row.text}`,
          insetTop: 28,
          insetBottom: 4,
        }),
        Plot.text(rows, {
          x: 0,
          y: "label",
          text: (row: (typeof rows)[number]) => `${row.label}：${row.text}`,
          dy: -2,
          lineAnchor: "bottom",
          textAnchor: "start",
          fill: "#1a1a1a",
          ariaHidden: "true",
        }),
        Plot.ruleX([100], { stroke: "#1a1a1a", strokeWidth: 2, strokeDasharray: "4,3" }),
        Plot.text([100], { x: (value: number) => value, frameAnchor: "top", text: () => "目標 100%", dy: -4, lineAnchor: "bottom", fill: "#1a1a1a" }),
      ],
    }),
  );
}

/** Bars of discharge notices per Kitami bucket, in survey order, each with its count beside it. */
export function leadTimeChart(figures: TransitionFigures, period: string): Element {
  const order = Object.keys(LEAD_TIME_LABELS) as LeadTimeBucket[];
  const rows = order.map((bucket) => ({ label: LEAD_TIME_LABELS[bucket], count: figures.leadTimes.find((row) => row.bucket === bucket)?.count ?? 0 }));
  const largest = Math.max(1, ...rows.map((row) => row.count));
  return withRoles(
    Plot.plot({
      ariaLabel: `${period}の退院連絡の時期（全${figures.dischargeNotices}件）`,
      ariaDescription: rows.map((row) => `${row.label} ${row.count}件`).join("、"),
      width: 400,
      height: 260,
      marginLeft: 80,
      marginRight: 50,
      marginBottom: 44,
      style: STYLE,
      x: { label: "件数（退院予定日の何日前に連絡したか）", labelOffset: 38, grid: true, domain: [0, largest], ticks: Math.min(largest, 10) },
      y: { domain: rows.map((row) => row.label), label: null, tickSize: 0 },
      marks: [
        Plot.barX(rows, { x: "count", y: "label", fill: NEUTRAL, ariaLabel: (row: (typeof rows)[number]) => `${row.label} ${row.count}件` }),
        Plot.text(rows, {
          x: "count",
          y: "label",
          text: (row: (typeof rows)[number]) => `${row.count}件`,
          dx: 4,
          textAnchor: "start",
          fill: "#1a1a1a",
          ariaHidden: "true",
        }),
        Plot.ruleX([0]),
      ],
    }),
  );
}

/** Two bars: discharges whose home service began within 48 hours, and the rest, with counts and shares. */
export function within48HoursChart(figures: TransitionFigures, period: string): Element {
  const rest = figures.dischargeNotices - figures.firstServiceWithin48Hours;
  const restShare = figures.dischargeNotices === 0 ? null : rest / figures.dischargeNotices;
  const rows = [
    { label: "48時間以内に開始", count: figures.firstServiceWithin48Hours, share: figures.firstServiceWithin48HoursShare, fill: ACHIEVED },
    { label: "それ以外", count: rest, share: restShare, fill: REST },
  ].map((row) => ({ ...row, text: `${row.count}件（${formatShare(row.share)}）` }));
  return withRoles(
    Plot.plot({
      ariaLabel: `${period}に退院した人のうち48時間以内に在宅サービスが始まった割合 ${formatShare(figures.firstServiceWithin48HoursShare)}`,
      ariaDescription: rows.map((row) => `${row.label} ${row.text}`).join("、"),
      width: 400,
      height: 150,
      marginLeft: 130,
      marginRight: 100,
      style: STYLE,
      x: { label: "件数", grid: true, domain: [0, Math.max(1, figures.dischargeNotices)], ticks: Math.min(Math.max(1, figures.dischargeNotices), 10) },
      y: { domain: rows.map((row) => row.label), label: null },
      marks: [
        Plot.barX(rows, { x: "count", y: "label", fill: "fill", ariaLabel: (row: (typeof rows)[number]) => `${row.label} ${row.text}` }),
        Plot.text(rows, { x: "count", y: "label", text: "text", dx: 4, textAnchor: "start", fill: "#1a1a1a", ariaHidden: "true" }),
      ],
    }),
  );
}
