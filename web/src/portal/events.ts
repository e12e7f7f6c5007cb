// The portal's events for residents: upcoming events residents may attend, registration without an account (the access code shown once), and the public calendar's subscription link.
import { element } from "./detail";
import { mutate, query } from "../client";
import { PublicEventsDocument, RegisterDocument } from "../generated/graphql";
import type { PublicEventsQuery } from "../generated/graphql";

type PublicEvent = PublicEventsQuery["events"]["edges"][number]["node"];

export interface EventsView {
  /** Lists the events that end after `from` (an instant). */
  show(from: string): Promise<void>;
}

/** 「2026年11月14日(土) 13:30〜15:30」 in Tokyo time, as the graph's timeLabel reads. */
function sessionLabel(startsAt: string, endsAt: string): string {
  const day = new Intl.DateTimeFormat("ja-JP", { timeZone: "Asia/Tokyo", year: "numeric", month: "long", day: "numeric", weekday: "short" }).format(
    new Date(startsAt),
  );
  const time = (iso: string) =>
    new Intl.DateTimeFormat("ja-JP", { timeZone: "Asia/Tokyo", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(new Date(iso));
  return `${day} ${time(startsAt)}〜${time(endsAt)}`;
}

/** When it takes place (a repeating event: its next session), where, the fee and the seats left. */
function factsOf(event: PublicEvent): string {
  const where = event.place ?? event.venue?.names.official ?? (event.onlineUrl === null ? "会場未定" : "オンライン");
  const fee = event.fee === 0 ? "参加無料" : `参加費 ${event.fee.toLocaleString("ja-JP")}円`;
  const seats = event.registrationCounts.remaining === null ? "" : `・残り${event.registrationCounts.remaining}席`;
  const next = event.occurrences[0];
  const when = event.recurrence === null || next === undefined ? event.timeLabel : `定例・次回 ${sessionLabel(next.startsAt, next.endsAt)}`;
  return `${when}・${where}・${fee}${event.feeNote === null ? "" : `（${event.feeNote}）`}${seats}`;
}

function field(id: string, label: string, type: string, required: boolean, autocomplete: string): HTMLDivElement {
  const box = element("div", undefined, "field");
  const labelElement = element("label", required ? `${label}（必須）` : label);
  labelElement.htmlFor = id;
  const input = element("input");
  Object.assign(input, { id, name: id.replace(/^.*-/, ""), type, required, autocomplete });
  box.append(labelElement, input);
  return box;
}

/** A registration form for one event; on success it is replaced by the result and the access code. */
function registrationForm(event: PublicEvent): HTMLFormElement {
  const form = element("form", undefined, "register");
  form.setAttribute("aria-label", `「${event.title}」への申込`);
  const prefix = `register-${event.id}`;
  form.append(
    field(`${prefix}-name`, "お名前", "text", true, "name"),
    field(`${prefix}-kana`, "ふりがな", "text", false, "off"),
    field(`${prefix}-phone`, "電話番号", "tel", false, "tel"),
    field(`${prefix}-email`, "メールアドレス", "email", false, "email"),
  );
  const submit = element("button", event.registrationCounts.remaining === 0 && event.waitlistEnabled ? "キャンセル待ちに申し込む" : "申し込む", "primary");
  submit.type = "submit";
  const result = element("p", undefined, "register-result");
  result.setAttribute("role", "status");
  form.append(submit, result);
  // One key per form: a retry after a dropped connection is the same request, never a second registration.
  const idempotencyKey = crypto.randomUUID();
  form.addEventListener("submit", (submitEvent) => {
    submitEvent.preventDefault();
    const value = (name: string) => (form.elements.namedItem(name) as HTMLInputElement).value.trim();
    const attendee = {
      name: value("name"),
      ...Object.fromEntries(Object.entries({ kana: value("kana"), phone: value("phone"), email: value("email") }).filter(([, text]) => text !== "")),
    };
    submit.disabled = true;
    result.textContent = "申し込んでいます…";
    mutate(RegisterDocument, { input: { eventId: event.id, idempotencyKey, attendee } })
      .then(({ registerForEvent }) => {
        const { status, waitlistPosition } = registerForEvent.registration;
        const state = status === "WAITLISTED" ? `キャンセル待ち（${waitlistPosition ?? "?"}番目）で受け付けました。` : "参加を受け付けました。";
        result.textContent = `${state}受付コード：${registerForEvent.accessCode}（取消や確認に使います。控えてください）`;
        for (const input of Array.from(form.querySelectorAll("input"))) input.disabled = true;
      })
      .catch((error: unknown) => {
        submit.disabled = false;
        result.textContent = `申し込めませんでした。${error instanceof Error ? error.message : ""}`;
      });
  });
  return form;
}

function eventItem(event: PublicEvent): HTMLLIElement {
  const item = element("li", undefined, "event");
  const heading = element("h3", event.title);
  item.append(heading, element("p", `${event.typeLabel}・${factsOf(event)}`, "facts"));
  if (!event.registrationOpen) {
    item.append(element("p", "申込は受け付けていません（締切済み・満席など）。", "closed"));
    return item;
  }
  const details = element("details");
  details.append(element("summary", "申し込む"), registrationForm(event));
  item.append(details);
  return item;
}

/** Renders into `list` and the calendar's links (subscription and file), reporting progress and errors on `status`. */
export function createEventsView(
  list: HTMLOListElement,
  calendarLinks: { subscribe: HTMLAnchorElement; file: HTMLAnchorElement },
  status: HTMLElement,
): EventsView {
  return {
    async show(from) {
      status.textContent = "催しを読み込んでいます…";
      try {
        const answer = await query(PublicEventsDocument, { from });
        calendarLinks.subscribe.href = answer.publicCalendarUrl.replace(/^https?:/, "webcal:");
        calendarLinks.file.href = answer.publicCalendarUrl;
        for (const link of Object.values(calendarLinks)) link.hidden = false;
        list.replaceChildren(...answer.events.edges.map((edge) => eventItem(edge.node)));
        status.textContent =
          answer.events.edges.length === 0 ? "この日以降、住民が参加できる催しはありません。" : `${answer.events.edges.length}件の催しがあります。`;
      } catch (error) {
        list.replaceChildren();
        status.textContent = `催しを読み込めませんでした。${error instanceof Error ? error.message : ""}`;
      }
    },
  };
}
