// Importing the official open-data CSVs: good rows upserted by official identifier, bad rows reported with their line numbers, re-imports without duplicates.
import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { importResourcesFile } from "../src/index";
import { openResourceModels } from "../src/models";
import { OpenDataHeaderError } from "../src/open-data";
import { startResourcesStack } from "./stack";
import type { ResourcesStack } from "./stack";

const fixture = (name: string) => join(__dirname, "fixtures", name);

const BY_CATEGORY = `query ($categories: [ID!]) { resources(filter: { categories: $categories }, first: 100) {
  totalCount edges { node { names { official } identifiers { careOfficeNumber careServiceCode medicalInstitutionCode } } } } }`;
const BY_NAME = `query ($text: String) { resources(filter: { text: $text }, first: 2) { edges { node { accepts address { district street } } } } }`;

interface Imported {
  names: { official: string };
  identifiers: { careOfficeNumber: string | null; careServiceCode: string | null; medicalInstitutionCode: string | null };
}

let stack: ResourcesStack;

beforeAll(async () => {
  stack = await startResourcesStack();
});

afterAll(() => stack?.stop());

async function listed(category: string): Promise<{ totalCount: number; nodes: Imported[] }> {
  const answer = await stack.graphql(BY_CATEGORY, { categories: [category] });
  expect(answer.body.errors).toBeUndefined();
  const { totalCount, edges } = answer.body.data?.resources as { totalCount: number; edges: Array<{ node: Imported }> };
  return { totalCount, nodes: edges.map((edge) => edge.node) };
}

describe("care-service layout", () => {
  test("good rows are imported and bad rows reported by line; a second run updates them without duplicates", async () => {
    const path = fixture("jigyosho_130.csv");
    const progress: Array<[number, number]> = [];
    const first = await importResourcesFile(stack.resources.connection, path, { onProgress: (read, total) => progress.push([read, total]) });
    expect(first.inserted).toBe(5);
    expect(first.updated).toBe(0);
    expect(first.rejected.map((row) => row.line)).toEqual([5, 6, 7, 8, 12]);
    expect(first.rejected[0]?.problems).toBe("5行目 列数: 列が23個あります（ヘッダーは24列） (column count 23, header 24)");
    expect(first.rejected[2]?.problems).toBe("7行目 緯度: 緯度は-90〜90です (latitude -90..90)");
    expect(first.rejected[3]?.problems).toBe(
      "8行目 法人番号: 法人番号のチェックデジットが一致しません (check digit mismatch)\n" +
        "8行目 電話番号: 電話番号は0から始まる10〜11桁です (a Japanese number, 10-11 digits from 0)",
    );
    expect(first.rejected[4]?.problems).toBe("12行目 サービスの種類: 未対応のサービスの種類です (unsupported service type): 夜間対応型訪問看護");
    const size = statSync(path).size;
    expect(progress.at(-1)).toEqual([size, size]);

    const stations = await listed("visiting-nursing");
    expect(stations.totalCount).toBe(5);
    expect(stations.nodes.map((node) => node.names.official)).toContain("訪問看護ステーションさくら");

    const second = await importResourcesFile(stack.resources.connection, path);
    expect(second).toEqual({ inserted: 0, updated: 5, rejected: first.rejected });
    expect((await listed("visiting-nursing")).totalCount).toBe(5);
  });

  test("a re-import refreshes the file's own fields and keeps what coordinators added", async () => {
    const { Resource } = await openResourceModels(stack.resources.connection);
    const key = { "identifiers.careOfficeNumber": "1760100029", "identifiers.careServiceCode": "130" };
    await Resource.updateOne(key, { $set: { accepts: ["DEMENTIA"], "address.district": "中央圏域", "address.street": "古い住所" } });

    const again = await importResourcesFile(stack.resources.connection, fixture("jigyosho_130.csv"));
    expect(again.updated).toBe(5);
    const aoba = await stack.graphql(BY_NAME, { text: "あおば訪問看護ステーション" });
    expect(aoba.body.data?.resources).toEqual({
      edges: [{ node: { accepts: ["DEMENTIA"], address: { district: "中央圏域", street: "園町ハ123番地" } } }],
    });
  });

  test("one office number with another service is another resource", async () => {
    const summary = await importResourcesFile(stack.resources.connection, fixture("jigyosho_430.csv"));
    expect(summary).toEqual({ inserted: 2, updated: 0, rejected: [] });
    const sameOffice = { careOfficeNumber: "1760100029", medicalInstitutionCode: null };
    const managers = await listed("care-management");
    expect(managers.nodes.map((node) => node.identifiers)).toContainEqual({ ...sameOffice, careServiceCode: "430" });
    const stations = await listed("visiting-nursing");
    expect(stations.totalCount).toBe(5);
    expect(stations.nodes.map((node) => node.identifiers)).toContainEqual({ ...sameOffice, careServiceCode: "130" });
  });
});

describe("medical-institution layout", () => {
  test("rows of each institution type are imported by 医療機関コード; bad rows are reported by line", async () => {
    const summary = await importResourcesFile(stack.resources.connection, fixture("medical-institutions.csv"));
    expect(summary.inserted).toBe(4);
    expect(summary.rejected.map((row) => row.line)).toEqual([6, 7, 8, 9]);
    expect(summary.rejected[1]?.problems).toBe("7行目 経度: 数値ではありません (not a number): abc");
    const hospitals = await listed("hospital");
    expect(hospitals.nodes.map((node) => [node.names.official, node.identifiers.medicalInstitutionCode])).toEqual([
      ["つなぐ中央病院", "1710110011"],
    ]);
    expect((await importResourcesFile(stack.resources.connection, fixture("medical-institutions-sjis.csv"))).updated).toBe(1);
  });
});

describe("files that cannot be imported", () => {
  test("a header of neither layout is refused, naming the missing columns", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "tsunagu-import-")), "unknown.csv");
    writeFileSync(path, "名前,住所\nさくら,本町\n");
    await expect(importResourcesFile(stack.resources.connection, path)).rejects.toBeInstanceOf(OpenDataHeaderError);
  });

  test("a missing file is an error, not an empty import", async () => {
    await expect(importResourcesFile(stack.resources.connection, fixture("missing.csv"))).rejects.toThrow(/ENOENT/);
  });
});
