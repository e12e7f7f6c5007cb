// Card codes for the fridge kit and QR: 9 random characters from an alphabet without 0/O/1/I plus a Luhn mod 32 check character.
import { randomInt } from "node:crypto";

/** 32 characters that are hard to misread: digits 2-9 and the letters without I and O. */
export const CARD_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
const BASE = CARD_ALPHABET.length;
const RANDOM_LENGTH = 9;
export const CARD_CODE_LENGTH = RANDOM_LENGTH + 1;

/** The check character of `payload` (Luhn mod N): catches every single wrong character and most swapped neighbours. */
export function checkCharacter(payload: string): string {
  let sum = 0;
  let double = true;
  for (let i = payload.length - 1; i >= 0; i--) {
    let value = CARD_ALPHABET.indexOf(payload[i]);
    if (double) {
      value *= 2;
      value = Math.floor(value / BASE) + (value % BASE);
    }
    sum += value;
    double = !double;
  }
  return CARD_ALPHABET[(BASE - (sum % BASE)) % BASE];
}

/** A new card code from the operating system's cryptographic random source (45 bits of randomness). */
export function generateCardCode(): string {
  let payload = "";
  for (let i = 0; i < RANDOM_LENGTH; i++) payload += CARD_ALPHABET[randomInt(BASE)];
  return payload + checkCharacter(payload);
}

/** Why a typed card code was refused; the message never repeats the code. */
export type CardCodeProblem = "length" | "characters" | "check";

export const CARD_CODE_PROBLEMS: Readonly<Record<CardCodeProblem, string>> = {
  length: `カードコードは${CARD_CODE_LENGTH}文字です (a card code has ${CARD_CODE_LENGTH} characters)`,
  characters: "カードコードに0・O・1・Iは使われません (card codes never contain 0, O, 1 or I)",
  check: "カードコードの検査文字が合いません。読み間違いがないか確認してください (the check character does not match; check for a misread character)",
};

/**
 * A code as typed or scanned (lower case, full-width, spaces, hyphens, or the whole QR payload URL) in its stored
 * form, or the problem with it.
 */
export function normalizeCardCode(typed: string): { ok: true; code: string } | { ok: false; problem: CardCodeProblem } {
  const lastPart = typed.normalize("NFKC").trim().split(/[/:]/).pop() ?? "";
  const code = lastPart.toUpperCase().replace(/[\s\-‐-―−ー]/g, "");
  if (code.length !== CARD_CODE_LENGTH) return { ok: false, problem: "length" };
  if ([...code].some((character) => !CARD_ALPHABET.includes(character))) return { ok: false, problem: "characters" };
  if (checkCharacter(code.slice(0, RANDOM_LENGTH)) !== code[RANDOM_LENGTH]) return { ok: false, problem: "check" };
  return { ok: true, code };
}

/** How the code is printed on the card: two groups of five. */
export function printedCardCode(code: string): string {
  return `${code.slice(0, 5)}-${code.slice(5)}`;
}

/** What the card and its QR code show; the QR payload is the crews' look-up URL, which by itself grants nothing. */
export interface IssuedCard {
  code: string;
  qrPayload: string;
}

export function issuedCard(code: string, cardUrlBase: string): IssuedCard {
  return { code, qrPayload: `${cardUrlBase}${code}` };
}
