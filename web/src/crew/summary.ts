// The one-screen summary a crew reads at the doorstep: warnings first (allergies, anticoagulants, insulin), ACP wishes, implanted devices, whom to call with tap-to-call links, then the rest.
import {
  CARE_LEVEL_LABELS as CARE_LEVEL,
  PLACE_LABELS as PLACE_OF_CARE,
  RESUSCITATION_LABELS as RESUSCITATION,
} from "../../../subgraphs/emergency/src/fhir-terminology";
import { element } from "../portal/detail";
import type { CrewItemSource, CrewLookupAnswer, CrewProfile } from "./lookup";

const SEX = { FEMALE: "女性", MALE: "男性", OTHER: "その他", UNKNOWN: "性別不明" } as Record<string, string>;
const SEVERITY = { MILD: "軽度", MODERATE: "中等度", SEVERE: "重度" } as Record<string, string>;
const DEVICE = {
  PACEMAKER: "ペースメーカー",
  ICD: "植込み型除細動器（ICD）",
  INSULIN_PUMP: "インスリンポンプ",
  COCHLEAR_IMPLANT: "人工内耳",
  SHUNT: "脳室シャント",
  ARTIFICIAL_JOINT: "人工関節",
  STENT: "ステント",
  OTHER: "その他の機器",
} as Record<string, string>;
const FAMILY_CARE = { SUFFICIENT: "十分", LIMITED: "限られている", NONE: "なし", UNKNOWN: "不明" } as Record<string, string>;
const ABO = { A: "A型", B: "B型", O: "O型", AB: "AB型", UNKNOWN: "不明" } as Record<string, string>;
const RH = { POSITIVE: "Rh+", NEGATIVE: "Rh−", UNKNOWN: "Rh不明" } as Record<string, string>;

const ANTICOAGULANT =
  /抗凝固|ワルファリン|ワーファリン|アピキサバン|エリキュース|リバーロキサバン|イグザレルト|エドキサバン|リクシアナ|ダビガトラン|プラザキサ|ヘパリン/;
const ANTIPLATELET = /抗血小板|アスピリン|バイアスピリン|クロピドグレル|プラスグレル|チカグレロル|シロスタゾール/;
const INSULIN = /インスリン|インシュリン/;

const REPORTED_BY = { SELF_REPORTED: "本人申告", DELEGATE_REPORTED: "家族等の申告", UNRECORDED: "申告者不明" } as Record<string, string>;

/** Where an item came from, in a few words: confirmed by whom and on which day, or who reported it. */
export function sourceText(source: CrewItemSource): string {
  if (source.verification !== "CLINICIAN_CONFIRMED") return `${REPORTED_BY[source.kind] ?? source.kind}・未確認`;
  const who = [source.confirmedBy?.profession, source.confirmedBy?.name].filter((part) => part !== null && part !== undefined && part !== "").join(" ");
  const day = source.confirmedAt === null ? "" : ` ${source.confirmedAt.slice(0, 10)}`;
  return `${who === "" ? "専門職" : who}が確認${day}`;
}

/** The source as a small note after an item. */
function sourceNote(source: CrewItemSource): HTMLElement {
  return element("small", `（${sourceText(source)}）`, source.verification === "CLINICIAN_CONFIRMED" ? "source confirmed" : "source");
}

/** Why a medication matters at the doorstep, or null: bleeding risk (anticoagulant, antiplatelet) or insulin (hypoglycaemia). */
export function medicationWarning(medication: { name: string; note: string | null }): string | null {
  const text = `${medication.name} ${medication.note ?? ""}`;
  if (ANTICOAGULANT.test(text)) return "抗凝固薬";
  if (INSULIN.test(text)) return "インスリン";
  if (ANTIPLATELET.test(text)) return "抗血小板薬";
  return null;
}

/** A phone number as a tel: link (digits and a leading +). */
export function telHref(phone: string): string {
  return `tel:${phone.normalize("NFKC").replace(/[^\d+]/g, "")}`;
}

const clockFormat = new Intl.DateTimeFormat("ja-JP", { timeZone: "Asia/Tokyo", hour: "2-digit", minute: "2-digit" });

/** 「閲覧期限 10:42 まで（あと 14 分）」 */
export function windowText(endsAt: Date, now: Date): string {
  const minutes = Math.max(0, Math.ceil((endsAt.getTime() - now.getTime()) / 60_000));
  return `閲覧期限 ${clockFormat.format(endsAt)} まで（あと ${minutes} 分）`;
}

function section(title: string, ...content: Node[]): HTMLElement {
  const part = element("section");
  part.append(element("h3", title), ...content);
  return part;
}

function list(items: Node[], empty: string): HTMLElement {
  if (items.length === 0) return element("p", empty, "none");
  const ul = element("ul");
  for (const item of items) {
    const li = element("li");
    li.append(item);
    ul.append(li);
  }
  return ul;
}

function callLink(phone: string, whom: string): HTMLAnchorElement {
  const link = element("a", `電話 ${phone}`, "call");
  link.href = telHref(phone);
  link.setAttribute("aria-label", `${whom}に電話する ${phone}`);
  return link;
}

function fragment(...parts: (Node | string)[]): DocumentFragment {
  const node = document.createDocumentFragment();
  node.append(...parts);
  return node;
}

function warnings(profile: CrewProfile): HTMLElement {
  const box = element("div", undefined, "alert");
  box.setAttribute("role", "group");
  box.setAttribute("aria-labelledby", "warnings-heading");
  const heading = element("h3", "要注意（アレルギー・抗凝固薬・インスリン）");
  heading.id = "warnings-heading";
  const allergies = profile.allergies.map((allergy) => {
    const severity = allergy.severity === null ? "" : `・${SEVERITY[allergy.severity] ?? allergy.severity}`;
    const text = element("span", `アレルギー：${allergy.substance}${allergy.reaction === null ? "" : `（${allergy.reaction}${severity}）`}`);
    if (allergy.severity === "SEVERE") text.className = "severe";
    return fragment(text, sourceNote(allergy.source));
  });
  const medicines = profile.medications.flatMap((medication) => {
    const warning = medicationWarning(medication);
    if (warning === null) return [];
    return [
      fragment(element("mark", warning), ` ${medication.name}${medication.dosage === null ? "" : `（${medication.dosage}）`}`, sourceNote(medication.source)),
    ];
  });
  const pumps = profile.implantedDevices
    .filter((device) => device.kind === "INSULIN_PUMP")
    .map(() => fragment(element("mark", "インスリン"), " インスリンポンプ装着"));
  box.append(heading, list([...allergies, ...medicines, ...pumps], "登録されたアレルギー・抗凝固薬・インスリンはありません"));
  return box;
}

function advanceCare(profile: CrewProfile): HTMLElement {
  const acp = profile.advanceCare;
  if (acp === null) return section("人生会議（ACP）の意思", element("p", "登録なし", "none"));
  const wish = RESUSCITATION[acp.resuscitation] ?? acp.resuscitation;
  const rows: Node[] = [
    fragment("心肺蘇生：", acp.resuscitation === "DNAR" ? element("mark", wish) : wish),
    fragment(`希望する療養場所：${PLACE_OF_CARE[acp.preferredPlaceOfCare] ?? acp.preferredPlaceOfCare}`),
  ];
  if (acp.notes !== null) rows.push(fragment(`本人の言葉：${acp.notes}`));
  rows.push(fragment(sourceNote(acp.source)));
  return section("人生会議（ACP）の意思", list(rows, ""));
}

function contacts(profile: CrewProfile): HTMLElement {
  const rows = profile.emergencyContacts.map((contact) => {
    const whom = `${contact.name}（${contact.relation}）`;
    return fragment(`${contact.priority}. ${whom}${contact.reachableHours === null ? "" : ` ${contact.reachableHours}`}`, callLink(contact.phone, whom));
  });
  return section("緊急連絡先", list(rows, "登録なし"));
}

function careTeam(profile: CrewProfile): HTMLElement {
  const rows: Node[] = [];
  const hospital = profile.primaryHospital;
  if (hospital !== null) {
    const phone = hospital.contact?.phone ?? null;
    rows.push(fragment(`かかりつけ病院：${hospital.names.official}`, ...(phone === null ? [] : [callLink(phone, hospital.names.official)])));
  }
  const manager = profile.careManager;
  if (manager !== null) {
    const phone = manager.workContact?.phone ?? null;
    rows.push(fragment(`ケアマネジャー：${manager.name}`, ...(phone === null ? [] : [callLink(phone, `ケアマネジャー ${manager.name}`)])));
  }
  return section("かかりつけ病院・ケアマネジャー", list(rows, "登録なし"));
}

function background(profile: CrewProfile): HTMLElement[] {
  const living = profile.livingSituation;
  const livingRows: Node[] =
    living === null
      ? []
      : [
          fragment(living.livesAlone ? "独居" : "同居者あり"),
          fragment(`家族の介護力：${FAMILY_CARE[living.familyCareCapacity] ?? living.familyCareCapacity}`),
          ...(living.note === null ? [] : [fragment(living.note)]),
        ];
  const blood =
    profile.bloodType === null ? "登録なし" : `${ABO[profile.bloodType.abo] ?? profile.bloodType.abo} ${RH[profile.bloodType.rh] ?? profile.bloodType.rh}`;
  return [
    section(
      "体内医療機器",
      list(
        profile.implantedDevices.map((device) =>
          fragment(`${DEVICE[device.kind] ?? device.kind}${device.description === null ? "" : `（${device.description}）`}`, sourceNote(device.source)),
        ),
        "登録なし",
      ),
    ),
    section(
      "病名",
      list(
        profile.conditions.map((condition) =>
          fragment(`${condition.name}${condition.since === null ? "" : `（${condition.since}〜）`}`, sourceNote(condition.source)),
        ),
        "登録なし",
      ),
    ),
    section(
      "服薬",
      list(
        profile.medications.map((medication) =>
          fragment(
            [medication.name, medication.dosage, medication.note].filter((part): part is string => part !== null && part !== "").join("・"),
            sourceNote(medication.source),
          ),
        ),
        "登録なし",
      ),
    ),
    section(
      "血液型・要介護度",
      element("p", `${blood}・${profile.careLevel === null ? "要介護度不明" : (CARE_LEVEL[profile.careLevel] ?? profile.careLevel)}`),
    ),
    section("生活状況", list(livingRows, "登録なし")),
  ];
}

/** Fills `container` with the profile, warnings first; the heading takes focus so a screen reader starts there. */
export function renderSummary(container: HTMLElement, answer: CrewLookupAnswer & { profile: CrewProfile }, endsAt: Date | null, onClose: () => void): void {
  const { profile } = answer;
  const heading = element("h2", `${profile.person.name}（${profile.person.kana}）`);
  heading.id = "summary-heading";
  heading.tabIndex = -1;
  const facts = element("p", `${profile.person.age}歳・${SEX[profile.person.sex] ?? profile.person.sex}`);
  const windowLine = element("p", endsAt === null ? "" : windowText(endsAt, new Date()), "window");
  windowLine.id = "access-window";
  const close = element("button", "画面から消して新しい照会へ", "secondary");
  close.type = "button";
  close.addEventListener("click", onClose);
  container.replaceChildren(
    heading,
    facts,
    windowLine,
    warnings(profile),
    advanceCare(profile),
    contacts(profile),
    careTeam(profile),
    ...background(profile),
    close,
  );
  container.hidden = false;
  heading.focus();
}

/** Several people matched: only what tells them apart, and what to do next. */
export function renderCandidates(container: HTMLElement, candidates: CrewLookupAnswer["candidates"]): void {
  const heading = element("h2", "複数の方が該当しました");
  heading.id = "summary-heading";
  heading.tabIndex = -1;
  const rows = candidates.map((candidate) => fragment(`${candidate.name}・${candidate.age}歳・${candidate.district ?? "地区不明"}`));
  container.replaceChildren(heading, element("p", "カードコードで照会してください。医療情報は一人に特定できたときだけ表示されます。"), list(rows, ""));
  container.hidden = false;
  heading.focus();
}
