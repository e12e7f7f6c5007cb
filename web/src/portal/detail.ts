// The resource detail view: hours, holidays and closures, vacancy, contact and contact windows, built as DOM nodes (no HTML strings).
import type { OpenStatus, ResourceDetail, Weekday } from "./queries";

const WEEKDAYS: readonly Weekday[] = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"];
const WEEKDAY_LABELS: Record<Weekday, string> = { MON: "月", TUE: "火", WED: "水", THU: "木", FRI: "金", SAT: "土", SUN: "日" };
const UNIT_LABELS = { BEDS: "床", PEOPLE: "人", CASES: "件" } as const;
const CHANNEL_LABELS: Record<string, string> = { PHONE: "電話", FAX: "ファクス", EMAIL: "メール", IN_PERSON: "対面", ICT: "ICTメッセージ" };
export const OPEN_STATUS_LABELS: Record<OpenStatus, string> = { OPEN: "営業中", CLOSED: "時間外・休業", UNKNOWN: "営業時間不明" };

/** An element with optional class and text. */
export function element<Tag extends keyof HTMLElementTagNameMap>(tag: Tag, text?: string, className?: string): HTMLElementTagNameMap[Tag] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className !== undefined) node.className = className;
  return node;
}

function definitionList(rows: [string, string | Node][]): HTMLDListElement {
  const list = element("dl");
  for (const [term, value] of rows) {
    list.append(element("dt", term));
    const description = element("dd");
    description.append(value);
    list.append(description);
  }
  return list;
}

function hoursTable(resource: ResourceDetail): HTMLElement {
  const hours = resource.openingHours;
  if (hours === null) return element("p", "営業時間の登録はありません。");
  const table = element("table", undefined, "hours");
  table.append(element("caption", "曜日ごとの営業時間"));
  for (const day of WEEKDAYS) {
    const intervals = hours.weekly.filter((interval) => interval.day === day).map((interval) => `${interval.opens}〜${interval.closes}`);
    const row = table.insertRow();
    const header = element("th", WEEKDAY_LABELS[day]);
    header.scope = "row";
    row.append(header);
    const unknownTimes = intervals.length === 0 && hours.openDays.includes(day);
    row.insertCell().textContent = intervals.length > 0 ? intervals.join("、") : unknownTimes ? "営業（時間不明）" : "休み";
  }
  return table;
}

function holidayNotes(resource: ResourceDetail): HTMLElement {
  const hours = resource.openingHours;
  const notes = element("ul");
  if (hours === null) return notes;
  notes.append(element("li", hours.closedOnPublicHolidays ? "祝日は休みです。" : "祝日も営業します。"));
  for (const closure of hours.annualClosures)
    notes.append(element("li", `毎年 ${closure.from}〜${closure.to} は休み${closure.reason ? `（${closure.reason}）` : ""}`));
  for (const closure of hours.closures)
    notes.append(element("li", `${closure.from}〜${closure.to} は臨時休業${closure.reason ? `（${closure.reason}）` : ""}`));
  for (const exception of hours.exceptions) {
    const times = exception.intervals.map((interval) => `${interval.opens}〜${interval.closes}`).join("、");
    notes.append(element("li", `${exception.date}：${times || "休み"}${exception.note ? `（${exception.note}）` : ""}`));
  }
  if (hours.note) notes.append(element("li", hours.note));
  return notes;
}

function vacancy(resource: ResourceDetail): string {
  const capacity = resource.capacity;
  if (capacity === null) return "登録なし";
  const unit = UNIT_LABELS[capacity.unit];
  const available = capacity.available === null ? "空き不明" : `空き ${capacity.available}${unit}`;
  const maximum = capacity.maximum === null ? "" : ` ／ 定員 ${capacity.maximum}${unit}`;
  const updated = capacity.updatedAt === null ? "" : `（${new Date(capacity.updatedAt).toLocaleDateString("ja-JP")} 更新）`;
  return `${available}${maximum}${updated}`;
}

/** A contact person's face photo from the URL the API gave; one that does not load (the photo server out of reach) is left out, the name beside it says who it is. */
function facePhoto(url: string, name: string): HTMLElement {
  const photo = element("img", undefined, "face");
  Object.assign(photo, { src: url, alt: `${name}さんの顔写真`, width: 72, height: 72, referrerPolicy: "no-referrer", decoding: "async" });
  photo.addEventListener("error", () => photo.remove(), { once: true });
  return photo;
}

function contactWindows(resource: ResourceDetail): HTMLElement {
  if (resource.contactWindows.length === 0) return element("p", "担当窓口の登録はありません。");
  const list = element("ul", undefined, "windows");
  for (const window of resource.contactWindows) {
    const item = element("li");
    // Names, kana and photos come only to viewers the API lets see them (professionals and the like); others see the role.
    if (window.photoUrl !== null) item.append(facePhoto(window.photoUrl, window.name ?? window.role ?? "担当者"));
    item.append(element("strong", window.name ?? window.role ?? "担当窓口"));
    if (window.kana !== null) item.append(element("span", `（${window.kana}）`, "window-kana"));
    if (window.name !== null && window.role) item.append(`（${window.role}）`);
    const details: string[] = [];
    if (window.preferredChannel) details.push(`希望する連絡手段：${CHANNEL_LABELS[window.preferredChannel] ?? window.preferredChannel}`);
    if (window.phone) details.push(`直通電話：${window.phone}`);
    if (window.email) details.push(`直通メール：${window.email}`);
    for (const avoid of window.avoidCallingHours) {
      const days = avoid.days.length === 0 ? "毎日" : avoid.days.map((day) => WEEKDAY_LABELS[day]).join("・");
      details.push(`連絡を避けたい時間：${days} ${avoid.from}〜${avoid.to}${avoid.reason ? `（${avoid.reason}）` : ""}`);
    }
    if (window.note) details.push(window.note);
    for (const line of details) item.append(element("br"), line);
    list.append(item);
  }
  return list;
}

function link(href: string, text: string): HTMLAnchorElement {
  const anchor = element("a", text);
  anchor.href = href;
  return anchor;
}

/** Fills `container` with `resource`'s detail and a close button that calls `onClose`. */
export function renderDetail(container: HTMLElement, resource: ResourceDetail, onClose: () => void): void {
  const heading = element("h2", resource.names.official);
  heading.id = "detail-heading";
  heading.tabIndex = -1;
  const close = element("button", "一覧にもどる", "close");
  close.type = "button";
  close.addEventListener("click", onClose);
  const address = [
    resource.address.postalCode ? `〒${resource.address.postalCode}` : "",
    resource.address.city,
    resource.address.street ?? "",
    resource.address.building ?? "",
  ]
    .join(" ")
    .trim();
  const contact = resource.contact;
  const rows: [string, string | Node][] = [
    ["分類", resource.category.labelJa],
    ["いまの状況", OPEN_STATUS_LABELS[resource.openStatus]],
    ["所在地", address],
    ["地区", resource.address.district ?? "—"],
    ["空き状況", vacancy(resource)],
  ];
  if (resource.operatorName) rows.push(["運営", resource.operatorName]);
  if (contact.phone) rows.push(["電話", link(`tel:${contact.phone}`, contact.phone)]);
  if (contact.fax) rows.push(["ファクス", contact.fax]);
  if (contact.email) rows.push(["メール", link(`mailto:${contact.email}`, contact.email)]);
  if (contact.url) rows.push(["ウェブサイト", link(contact.url, contact.url)]);
  container.replaceChildren(
    close,
    heading,
    ...(resource.names.kana ? [element("p", resource.names.kana, "kana")] : []),
    ...(resource.description ? [element("p", resource.description)] : []),
    definitionList(rows),
    element("h3", "営業時間"),
    hoursTable(resource),
    element("h3", "休日"),
    holidayNotes(resource),
    element("h3", "連絡窓口"),
    contactWindows(resource),
  );
  container.hidden = false;
  heading.focus();
}
