// The printable admission information sheet (入院時情報提供書) as HTML, for hospitals not yet on the system: every value escaped, printable and faxable on A4.
import { badUserInput, escapeHtml, toTokyoIso } from "@tsunagu/service-kit";
import type { NoticeDocument } from "./models";

const CAPACITY_LABELS: Readonly<Record<string, string>> = { SUFFICIENT: "十分", LIMITED: "限られている", NONE: "なし", UNKNOWN: "不明" };

/** One table row; empty values print as a dash so a blank is visibly blank on a fax. */
const row = (label: string, value: string | null | undefined) =>
  `<tr><th>${escapeHtml(label)}</th><td>${escapeHtml(value == null || value === "" ? "—" : value)}</td></tr>`;

/** The sheet of an admission information notice; a discharge notice is refused. */
export function admissionSheetHtml(notice: NoticeDocument): string {
  const admission = notice.admission;
  if (notice.type !== "ADMISSION_INFO" || admission === null) {
    throw badUserInput("id: 入院時情報提供書のみ印刷できます (only admission information sheets print)", "id");
  }
  const { patient } = notice;
  const rows = [
    row("氏名 / Name", patient.name),
    row("ふりがな / Kana", patient.kana),
    row("生年月日 / Date of birth", patient.dateOfBirth),
    row("救急医療情報ID / Emergency profile", patient.emergencyProfileId),
    row("利用中のサービス / Services in use", admission.servicesInUse.join("、")),
    row(
      "家族の介護力 / Family care capacity",
      admission.familyCareCapacity === null ? null : (CAPACITY_LABELS[admission.familyCareCapacity] ?? admission.familyCareCapacity),
    ),
    row("キーパーソン / Key person", admission.keyPerson),
    row("生活状況 / Living situation", admission.livingSituation),
    row("ADL", admission.adl),
    row("本人・家族の希望 / Wishes", admission.familyWishes),
    row("備考 / Notes", admission.notes),
    row("送信日時 / Sent", notice.sentAt === null ? null : toTokyoIso(notice.sentAt)),
    row("送信者 / Sender", notice.senderContact?.name),
    row("事業所 / Office", notice.senderContact?.office),
    row("電話番号 / Phone", notice.senderContact?.phone),
  ];
  return [
    '<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"><title>入院時情報提供書</title>',
    "<style>@page{size:A4;margin:15mm}body{font-family:sans-serif;font-size:11pt}table{border-collapse:collapse;width:100%}th,td{border:1px solid #000;padding:4px;text-align:left;vertical-align:top}th{width:30%}</style>",
    `</head><body><h1>入院時情報提供書 / Admission information</h1><p>連絡票ID: ${escapeHtml(notice._id.toHexString())}</p>`,
    `<table>${rows.join("")}</table></body></html>`,
  ].join("");
}
