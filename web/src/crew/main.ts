// The crew view: sign-in with a token held in memory, look-up by card code (typed or scanned) or by name and date of birth, the one-screen summary until the access window ends; nothing of the patient is stored on the device.
import { GraphQLRequestError, setBearerToken, tokenClaims } from "../client";
import { CrewLookup, cardCodeOf } from "./lookup";
import type { CrewLookupInput } from "./lookup";
import { startScanner } from "./scanner";
import type { Scanner } from "./scanner";
import { renderCandidates, renderSummary, windowText } from "./summary";

function byId<Kind extends HTMLElement>(id: string): Kind {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`crew.html lacks #${id}`);
  return found as Kind;
}

const signInForm = byId<HTMLFormElement>("crew-sign-in");
const tokenInput = byId<HTMLInputElement>("crew-token");
const signedIn = byId<HTMLParagraphElement>("crew-signed-in");
const form = byId<HTMLFormElement>("lookup");
const byCard = byId<HTMLInputElement>("by-card");
const byName = byId<HTMLInputElement>("by-name");
const cardFields = byId<HTMLDivElement>("card-fields");
const nameFields = byId<HTMLDivElement>("name-fields");
const cardCodeInput = byId<HTMLInputElement>("card-code");
const nameInput = byId<HTMLInputElement>("person-name");
const dateOfBirthInput = byId<HTMLInputElement>("date-of-birth");
const reasonInput = byId<HTMLInputElement>("reason");
const incidentInput = byId<HTMLInputElement>("incident-number");
const lookupButton = byId<HTMLButtonElement>("lookup-button");
const scanButton = byId<HTMLButtonElement>("scan");
const scannerArea = byId<HTMLDivElement>("scanner");
const scannerVideo = byId<HTMLVideoElement>("scanner-video");
const scanStopButton = byId<HTMLButtonElement>("scan-stop");
const status = byId<HTMLParagraphElement>("crew-status");
const summary = byId<HTMLElement>("summary");

/** Roles the emergency subgraph lets look up (isEmergencyStaff). */
const LOOKUP_ROLES: Record<string, string> = { EMS: "救急隊", ER: "救急外来" };
const OFFLINE_MESSAGE = "オフラインです。画面は使えますが、照会結果は通信が戻るまで取得できません。";

/** The look-up in progress or last failed for want of a connection: sent again, it keeps its request key. */
let pending: CrewLookup | null = null;
let scanner: Scanner | null = null;
let windowTimer: ReturnType<typeof setInterval> | undefined;
/** Whether a token is held (in memory only: gone with the tab). */
let signedInWithToken = false;

function say(message: string): void {
  status.textContent = message;
}

/** Removes every trace of the patient from the page: the summary, the typed name and date of birth, the timer. */
function clearPatient(): void {
  clearInterval(windowTimer);
  windowTimer = undefined;
  summary.hidden = true;
  summary.replaceChildren();
  nameInput.value = "";
  dateOfBirthInput.value = "";
  cardCodeInput.value = "";
  pending = null;
  form.hidden = !signedInWithToken;
}

signInForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const token = tokenInput.value.trim();
  const claims = tokenClaims(token);
  if (claims === null) {
    say("トークンの形式が正しくありません。");
    return;
  }
  const role = LOOKUP_ROLES[claims.role];
  if (role === undefined) {
    say("このトークンでは照会できません（救急隊・救急外来のトークンが必要です）。");
    return;
  }
  setBearerToken(token);
  signedInWithToken = true;
  tokenInput.value = "";
  signInForm.hidden = true;
  form.hidden = false;
  signedIn.textContent = `${claims.name ?? ""}（${role}）`;
  say(navigator.onLine ? "" : OFFLINE_MESSAGE);
  (byCard.checked ? cardCodeInput : nameInput).focus();
});

function showMethod(): void {
  cardFields.hidden = !byCard.checked;
  nameFields.hidden = !byName.checked;
  if (!byCard.checked) stopScanner();
}
byCard.addEventListener("change", showMethod);
byName.addEventListener("change", showMethod);

/** The form as a look-up input, or the first missing field (marked and focused) with what to do. */
function inputFromForm(): CrewLookupInput | null {
  for (const input of [cardCodeInput, nameInput, dateOfBirthInput, reasonInput, incidentInput]) input.removeAttribute("aria-invalid");
  const missing = (input: HTMLInputElement, message: string) => {
    input.setAttribute("aria-invalid", "true");
    input.focus();
    say(message);
    return null;
  };
  const reason = reasonInput.value.trim();
  const incidentNumber = incidentInput.value.trim();
  let criteria: Pick<CrewLookupInput, "cardCode" | "name" | "dateOfBirth">;
  if (byCard.checked) {
    if (cardCodeInput.value.trim() === "") return missing(cardCodeInput, "カードコードを入力するか、QRコードを読み取ってください。");
    criteria = { cardCode: cardCodeOf(cardCodeInput.value) };
  } else {
    if (nameInput.value.trim() === "") return missing(nameInput, "氏名を入力してください。");
    if (dateOfBirthInput.value === "") return missing(dateOfBirthInput, "生年月日を入力してください。");
    criteria = { name: nameInput.value.trim(), dateOfBirth: dateOfBirthInput.value };
  }
  if (reason === "") return missing(reasonInput, "照会の理由を入力してください。");
  if (incidentNumber === "") return missing(incidentInput, "事案番号を入力してください。");
  return { ...criteria, reason, incidentNumber };
}

/** The server's message without the field path it starts with (`input.cardCode: ...`). */
function explain(error: unknown): string {
  if (!(error instanceof GraphQLRequestError)) return "予期しないエラーが起きました。";
  switch (error.code) {
    case "NETWORK":
      return `${error.message}もう一度「照会する」を押すと、同じ照会を再送します（二重の閲覧にはなりません）。`;
    case "UNAUTHENTICATED":
      return "トークンが無効か期限切れです。画面を開き直して、新しいトークンでサインインしてください。";
    case "RATE_LIMITED":
      return "照会の回数が上限に達しました。しばらく待ってから照会してください。";
    default:
      return error.message.replace(/^input\.\w+: /, "");
  }
}

function showWindow(endsAt: Date): void {
  const line = document.getElementById("access-window");
  clearInterval(windowTimer);
  windowTimer = setInterval(() => {
    if (Date.now() >= endsAt.getTime()) {
      clearPatient();
      say("閲覧期間が終わったため、表示を消しました。");
      return;
    }
    if (line !== null) line.textContent = windowText(endsAt, new Date());
  }, 1000);
}

async function lookUp(): Promise<void> {
  const input = inputFromForm();
  if (input === null) return;
  stopScanner();
  const lookup = pending !== null && pending.fingerprint === JSON.stringify(input) ? pending : new CrewLookup(input);
  pending = lookup;
  lookupButton.disabled = true;
  say("照会しています…");
  try {
    const answer = await lookup.send((attempt, waitMs) => {
      say(`通信が切れました。${Math.round(waitMs / 1000)}秒後に同じ照会を再送します（${attempt}回目）…`);
    });
    pending = null;
    if (answer.outcome === "ALLOWED" && answer.profile !== null) {
      const endsAt = answer.accessWindowEndsAt === null ? null : new Date(answer.accessWindowEndsAt);
      form.hidden = true;
      say("");
      renderSummary(summary, { ...answer, profile: answer.profile }, endsAt, () => {
        clearPatient();
        say("表示を消しました。");
        cardCodeInput.focus();
      });
      if (endsAt !== null) showWindow(endsAt);
    } else if (answer.outcome === "AMBIGUOUS") {
      say("");
      renderCandidates(summary, answer.candidates);
    } else if (answer.outcome === "NO_MATCH") {
      summary.hidden = true;
      say("該当する登録者はいません。入力を確かめてください（未登録・同意のない方は表示されません）。");
    } else {
      say("照会の回数が上限に達しました。しばらく待ってから照会してください。");
    }
  } catch (error) {
    if (!(error instanceof GraphQLRequestError && error.code === "NETWORK")) pending = null;
    say(explain(error));
  } finally {
    lookupButton.disabled = false;
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  void lookUp();
});

function stopScanner(): void {
  scanner?.stop();
  scanner = null;
  scannerArea.hidden = true;
}

scanButton.addEventListener("click", () => {
  if (scanner !== null) return;
  if (navigator.mediaDevices === undefined) {
    say("このブラウザーではカメラを使えません。カードコードを入力してください。");
    return;
  }
  scannerArea.hidden = false;
  say("カメラを起動しています。カードのQRコードを枠に入れてください。");
  let decoded = false;
  startScanner(scannerVideo, (text) => {
    decoded = true;
    scanner = null;
    scannerArea.hidden = true;
    cardCodeInput.value = cardCodeOf(text);
    say("QRコードを読み取りました。");
    // Reason and incident number already given: the look-up goes at once; otherwise the first missing field takes focus.
    if (reasonInput.value.trim() !== "" && incidentInput.value.trim() !== "") void lookUp();
    else (reasonInput.value.trim() === "" ? reasonInput : incidentInput).focus();
  })
    .then((started) => {
      if (!decoded) scanner = started;
    })
    .catch(() => {
      scannerArea.hidden = true;
      say("カメラを使えませんでした（許可されていないか、カメラがありません）。カードコードを入力してください。");
    });
});
scanStopButton.addEventListener("click", () => {
  stopScanner();
  scanButton.focus();
});

// Leaving the page (closing, navigating away, or being put into the back-forward cache) takes the patient's data with it.
window.addEventListener("pagehide", () => {
  stopScanner();
  clearPatient();
});
window.addEventListener("offline", () => say(OFFLINE_MESSAGE));
window.addEventListener("online", () => {
  if (status.textContent === OFFLINE_MESSAGE) say("通信が戻りました。");
});
if (!navigator.onLine) say(OFFLINE_MESSAGE);

// The app shell (this page, its scripts and styles) is kept for use without signal; the service worker never caches /graphql.
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/crew-sw.js", { scope: "/crew" }).catch(() => undefined);
}
