// The residents' and care managers' portal: the search form, the result list and map, and the detail view, all over the public /graphql.
import { GraphQLRequestError, setBearerToken, tokenClaims } from "../client";
import { OPEN_STATUS_LABELS, element, renderDetail } from "./detail";
import { createEventsView } from "./events";
import { createResultsMap } from "./map";
import { loadChoices, loadResource, searchResources } from "./queries";
import type { ResourceFilter, ResourceSummary } from "./queries";

function byId<Kind extends HTMLElement>(id: string): Kind {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`portal.html lacks #${id}`);
  return found as Kind;
}

const form = byId<HTMLFormElement>("search");
const textInput = byId<HTMLInputElement>("text");
const categorySelect = byId<HTMLSelectElement>("category");
const districtSelect = byId<HTMLSelectElement>("district");
const openNowBox = byId<HTMLInputElement>("open-now");
const nearBox = byId<HTMLInputElement>("near");
const latitudeInput = byId<HTMLInputElement>("latitude");
const longitudeInput = byId<HTMLInputElement>("longitude");
const radiusSelect = byId<HTMLSelectElement>("radius");
const locateButton = byId<HTMLButtonElement>("locate");
const status = byId<HTMLParagraphElement>("status");
const resultList = byId<HTMLOListElement>("results");
const moreButton = byId<HTMLButtonElement>("more");
const detail = byId<HTMLElement>("detail");
const signInForm = byId<HTMLFormElement>("sign-in");
const tokenInput = byId<HTMLInputElement>("token");
const signOutButton = byId<HTMLButtonElement>("sign-out");
const signedInAs = byId<HTMLParagraphElement>("signed-in-as");

const map = createResultsMap(byId("map"), (id) => void openDetail(id), choosePoint);
let currentFilter: ResourceFilter = {};
let nextCursor: string | null = null;
let shown: ResourceSummary[] = [];
/** The result button that opened the detail view, to return focus to on close. */
let openedFrom: HTMLElement | null = null;

function explain(error: unknown): string {
  if (error instanceof GraphQLRequestError && error.code === "UNAUTHENTICATED")
    return "サインインが無効か期限切れです。サインアウトするか、新しいトークンでサインインしてください。";
  if (error instanceof GraphQLRequestError) return error.code === "NETWORK" ? error.message : `エラー：${error.message}`;
  return "予期しないエラーが起きました。";
}

function choosePoint(latitude: number, longitude: number): void {
  latitudeInput.value = latitude.toFixed(5);
  longitudeInput.value = longitude.toFixed(5);
  nearBox.checked = true;
  map.showPoint(latitude, longitude);
}

/** The form's values as a ResourceFilter; throws a message when the chosen point is incomplete. */
function filterFromForm(): ResourceFilter {
  const text = textInput.value.trim();
  let near: ResourceFilter["near"];
  if (nearBox.checked) {
    const latitude = latitudeInput.valueAsNumber;
    const longitude = longitudeInput.valueAsNumber;
    if (Number.isNaN(latitude) || Number.isNaN(longitude))
      throw new Error("近くでさがすには、緯度と経度を入れるか、現在地を使うか、地図をクリックしてください。");
    near = { latitude, longitude, radiusMeters: Number(radiusSelect.value) };
    map.showPoint(latitude, longitude);
  }
  return {
    ...(text === "" ? {} : { text }),
    ...(categorySelect.value === "" ? {} : { categories: [categorySelect.value] }),
    ...(districtSelect.value === "" ? {} : { districts: [districtSelect.value] }),
    ...(openNowBox.checked ? { openAt: new Date().toISOString() } : {}),
    ...(near === undefined ? {} : { near }),
  };
}

function distanceLabel(meters: number | null): string {
  if (meters === null) return "";
  return meters < 1000 ? `${Math.round(meters)} m` : `${(meters / 1000).toFixed(1)} km`;
}

function resultItem(resource: ResourceSummary, distanceMeters: number | null): HTMLLIElement {
  const item = element("li");
  const button = element("button", undefined, "result");
  button.type = "button";
  button.dataset.id = resource.id;
  button.append(element("span", resource.names.official, "name"));
  const facts = [resource.category.labelJa, resource.address.district ?? "", OPEN_STATUS_LABELS[resource.openStatus], distanceLabel(distanceMeters)].filter(
    (fact) => fact !== "",
  );
  button.append(element("span", facts.join("・"), "facts"));
  if (resource.servedDistricts.length > 0) button.append(element("span", `訪問する地区：${resource.servedDistricts.join("・")}`, "served"));
  button.addEventListener("click", () => {
    openedFrom = button;
    void openDetail(resource.id);
  });
  item.append(button);
  return item;
}

async function showPage(append: boolean): Promise<void> {
  status.textContent = "さがしています…";
  try {
    const page = await searchResources(currentFilter, append ? nextCursor : null, new Date());
    const resources = page.edges.map((edge) => edge.node);
    shown = append ? [...shown, ...resources] : resources;
    const items = page.edges.map((edge) => resultItem(edge.node, edge.distanceMeters));
    if (append) resultList.append(...items);
    else resultList.replaceChildren(...items);
    nextCursor = page.pageInfo.endCursor;
    moreButton.hidden = !page.pageInfo.hasNextPage;
    map.showResources(shown);
    status.textContent =
      page.totalCount === 0 ? "見つかりませんでした。条件を変えてお試しください。" : `${page.totalCount}件見つかりました（${shown.length}件を表示）。`;
  } catch (error) {
    status.textContent = explain(error);
  }
}

async function openDetail(id: string): Promise<void> {
  status.textContent = "詳細を読み込んでいます…";
  try {
    const resource = await loadResource(id, new Date());
    if (resource === null) {
      status.textContent = "この資源は見つかりませんでした（削除された可能性があります）。";
      return;
    }
    status.textContent = "";
    renderDetail(detail, resource, closeDetail);
  } catch (error) {
    status.textContent = explain(error);
  }
}

function closeDetail(): void {
  detail.hidden = true;
  detail.replaceChildren();
  openedFrom?.focus();
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  try {
    currentFilter = filterFromForm();
  } catch (error) {
    status.textContent = error instanceof Error ? error.message : String(error);
    return;
  }
  detail.hidden = true;
  void showPage(false);
});
moreButton.addEventListener("click", () => void showPage(true));
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !detail.hidden) closeDetail();
});

locateButton.addEventListener("click", () => {
  if (!("geolocation" in navigator)) {
    status.textContent = "このブラウザーでは現在地を使えません。緯度と経度を入れるか、地図をクリックしてください。";
    return;
  }
  status.textContent = "現在地を調べています…";
  navigator.geolocation.getCurrentPosition(
    (position) => {
      choosePoint(position.coords.latitude, position.coords.longitude);
      status.textContent = "現在地を検索の中心にしました。";
    },
    () => {
      status.textContent = "現在地を取得できませんでした。緯度と経度を入れるか、地図をクリックしてください。";
    },
    { enableHighAccuracy: false, timeout: 10_000 },
  );
});

const ROLE_LABELS: Record<string, string> = {
  RESIDENT: "住民",
  PROFESSIONAL: "専門職",
  COORDINATOR: "コーディネーター",
  EMS: "救急隊",
  ER: "救急外来",
  VENDOR: "事業者システム",
  ADMIN: "管理者",
};
const CONTACT_DETAIL_ROLES = new Set(["PROFESSIONAL", "COORDINATOR", "EMS", "ER", "ADMIN"]);

signInForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const token = tokenInput.value.trim();
  const claims = tokenClaims(token);
  if (claims === null) {
    signedInAs.textContent = "トークンの形式が正しくありません。";
    return;
  }
  setBearerToken(token);
  tokenInput.value = "";
  signOutButton.hidden = false;
  const adds = CONTACT_DETAIL_ROLES.has(claims.role) ? "連絡窓口の直通電話・メールが表示されます。" : "この役割で追加される情報はありません。";
  signedInAs.textContent = `${claims.name ?? ""}（${ROLE_LABELS[claims.role] ?? claims.role}）としてサインインしました。${adds}`;
});
signOutButton.addEventListener("click", () => {
  setBearerToken(null);
  signOutButton.hidden = true;
  signedInAs.textContent = "サインアウトしました。";
});

void loadChoices()
  .then(({ resourceCategories, resourceCoverage, districts }) => {
    map.showDistricts(districts);
    for (const category of resourceCategories) {
      const option = element("option", category.labelJa);
      option.value = category.code;
      categorySelect.append(option);
    }
    for (const district of resourceCoverage.districts) {
      const option = element("option", district);
      option.value = district;
      districtSelect.append(option);
    }
  })
  .catch((error: unknown) => {
    status.textContent = `分類と地区を読み込めませんでした。${explain(error)}`;
  });

const events = createEventsView(
  byId("events"),
  { subscribe: byId<HTMLAnchorElement>("calendar-subscribe"), file: byId<HTMLAnchorElement>("calendar-file") },
  byId("events-status"),
);
const eventsFrom = byId<HTMLInputElement>("events-from");
eventsFrom.value = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Tokyo" }).format(new Date());
byId<HTMLFormElement>("events-form").addEventListener("submit", (event) => {
  event.preventDefault();
  if (eventsFrom.value !== "") void events.show(`${eventsFrom.value}T00:00:00+09:00`);
});
void events.show(`${eventsFrom.value}T00:00:00+09:00`);
