// The fixed moment every demo seed is set at, ids made from it, and the surnames demo people and places are named with, so that the demo city is the same on every machine and every day.
import { createHash } from "node:crypto";
import { Types } from "mongoose";

/** 2026-10-01 09:00 Asia/Tokyo, as the seconds an ObjectId's first four bytes hold. */
const REFERENCE_ISO = "2026-10-01T00:00:00.000Z";

/**
 * 2026-10-01 09:00 Asia/Tokyo. Demo residents' dates of birth, "recent" posts and vacancies, the events' fiscal year
 * and the transitions' month are computed from it (never from the clock), so the README's examples always match.
 */
export function demoReferenceDate(): Date {
  return new Date(REFERENCE_ISO);
}

/**
 * The id of demo record `index` of `kind` (e.g. "resource"): the same on every machine, ascending with `index`
 * (ObjectIds sort by their bytes), stamped with the reference date, and distinct between kinds.
 */
export function demoObjectId(kind: string, index: number): Types.ObjectId {
  const seconds = Math.floor(Date.parse(REFERENCE_ISO) / 1000)
    .toString(16)
    .padStart(8, "0");
  const namespace = createHash("sha256").update(kind).digest("hex").slice(0, 4);
  return new Types.ObjectId(seconds + namespace + index.toString(16).padStart(12, "0"));
}

/** Common Japanese surnames with their katakana readings, for demo residents, staff and the clinics named after them. */
export const DEMO_SURNAMES: readonly (readonly [text: string, kana: string])[] = [
  ["山田", "ヤマダ"],
  ["田中", "タナカ"],
  ["中村", "ナカムラ"],
  ["北村", "キタムラ"],
  ["吉田", "ヨシダ"],
  ["松本", "マツモト"],
  ["林", "ハヤシ"],
  ["山本", "ヤマモト"],
  ["高田", "タカダ"],
  ["西川", "ニシカワ"],
  ["宮本", "ミヤモト"],
  ["小林", "コバヤシ"],
  ["加藤", "カトウ"],
  ["佐藤", "サトウ"],
  ["鈴木", "スズキ"],
  ["高橋", "タカハシ"],
  ["伊藤", "イトウ"],
  ["渡辺", "ワタナベ"],
  ["清水", "シミズ"],
  ["池田", "イケダ"],
  ["森", "モリ"],
  ["石田", "イシダ"],
  ["前田", "マエダ"],
  ["坂本", "サカモト"],
  ["中川", "ナカガワ"],
  ["山口", "ヤマグチ"],
  ["松田", "マツダ"],
  ["竹内", "タケウチ"],
  ["村田", "ムラタ"],
  ["西村", "ニシムラ"],
  ["岡田", "オカダ"],
  ["藤田", "フジタ"],
  ["上田", "ウエダ"],
  ["橋本", "ハシモト"],
  ["谷口", "タニグチ"],
  ["野村", "ノムラ"],
  ["浅野", "アサノ"],
  ["荒木", "アラキ"],
  ["長谷川", "ハセガワ"],
  ["小川", "オガワ"],
  ["大西", "オオニシ"],
  ["川上", "カワカミ"],
  ["宮田", "ミヤタ"],
  ["辻", "ツジ"],
  ["南", "ミナミ"],
  ["山下", "ヤマシタ"],
  ["松井", "マツイ"],
  ["竹田", "タケダ"],
];
