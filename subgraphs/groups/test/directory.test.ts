// The contact directory's exports without a database: CSV quoting for Excel, formula neutralising, hours not to call, HTML escaping and contact visibility.
import { Types } from "mongoose";
import { PUBLIC_IDENTITY } from "@tsunagu/service-kit";
import type { Identity } from "@tsunagu/service-kit";
import { UTF8_BOM, csvField, describeAvoidCallingHours, directoryCsv, directoryHtml } from "../src/directory";
import type { DirectoryOrganization } from "../src/directory";
import type { MemberDocument } from "../src/models";

const NURSE: Identity = { role: "PROFESSIONAL", authMethod: "jwt", subject: "u1", profession: "看護師", scopes: [] };
const VENDOR_WITH_CONTACTS: Identity = { role: "VENDOR", authMethod: "apiKey", subject: "k1", scopes: ["groups:contacts"] };
const VENDOR: Identity = { role: "VENDOR", authMethod: "apiKey", subject: "k2", scopes: ["resources:read"] };

function member(overrides: Partial<MemberDocument>): MemberDocument {
  const now = new Date("2025-06-01T00:00:00Z");
  return {
    _id: new Types.ObjectId(),
    name: "山田 花子",
    kana: "ヤマダ ハナコ",
    profession: "NURSE",
    title: "退院調整看護師",
    affiliation: null,
    photoUrl: "https://photos.example/yamada.jpg",
    workContact: { phone: "0761-22-1234", email: "yamada@hospital.example" },
    avoidCallingHours: [],
    sortKey: "やまだはなこ",
    searchKeys: [],
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

function organization(members: MemberDocument[], name = "つなぐ中央病院"): DirectoryOrganization {
  return { organization: { id: "0123456789abcdef01234567" }, name, kana: null, district: "中央圏域", category: "hospital", categoryLabel: "病院", members };
}

describe("CSV", () => {
  test("fields are quoted when they hold commas, quotes, line breaks or edge spaces", () => {
    expect(csvField("ふつう")).toBe("ふつう");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('「"本院"」')).toBe('"「""本院""」"');
    expect(csvField("一行目\n二行目")).toBe('"一行目\n二行目"');
    expect(csvField(" 前に空白")).toBe('" 前に空白"');
    expect(csvField(null)).toBe("");
  });

  test("a cell that a spreadsheet would run as a formula is neutralised", () => {
    expect(csvField('=HYPERLINK("http://x")')).toBe('"\'=HYPERLINK(""http://x"")"');
    expect(csvField("+81-761")).toBe("'+81-761");
    expect(csvField("@SUM(A1)")).toBe("'@SUM(A1)");
  });

  test("starts with a BOM, ends lines with CRLF, and has contact columns only for those who may see them", () => {
    const organizations = [organization([member({}), member({ name: "佐藤, 一郎", workContact: null })])];
    const csv = directoryCsv(organizations, NURSE);
    expect(csv.startsWith(UTF8_BOM)).toBe(true);
    const lines = csv.slice(1).split("\r\n");
    expect(lines).toEqual([
      "日常生活圏域,分類,事業所名,事業所名（よみ）,氏名,氏名（よみ）,職種,役職・担当,電話番号,メールアドレス,連絡を避けてほしい時間,顔写真URL",
      "中央圏域,病院,つなぐ中央病院,,山田 花子,ヤマダ ハナコ,看護師,退院調整看護師,0761-22-1234,yamada@hospital.example,,https://photos.example/yamada.jpg",
      '中央圏域,病院,つなぐ中央病院,,"佐藤, 一郎",ヤマダ ハナコ,看護師,退院調整看護師,,,,https://photos.example/yamada.jpg',
      "",
    ]);
    expect(directoryCsv(organizations, VENDOR_WITH_CONTACTS)).toContain("0761-22-1234");
    for (const identity of [PUBLIC_IDENTITY, VENDOR]) {
      const hidden = directoryCsv(organizations, identity);
      expect(hidden).not.toContain("電話番号");
      expect(hidden).not.toContain("0761-22-1234");
    }
  });
});

test("hours not to call read as days, times and reasons; no days means every day", () => {
  expect(
    describeAvoidCallingHours([
      { days: ["MON", "WED", "FRI"], from: "12:00", to: "13:00", reason: "昼休み" },
      { days: [], from: "17:00", to: "18:00", reason: null },
    ]),
  ).toBe("月水金 12:00-13:00（昼休み）、毎日 17:00-18:00");
});

describe("printable HTML", () => {
  const now = new Date("2025-06-15T01:00:00Z");

  test("escapes what people typed, shows photos and states when it was made (Tokyo time)", () => {
    const html = directoryHtml([organization([member({ name: "<script>alert(1)</script>" })], "A&B 病院")], NURSE, '一覧 "改訂"', now);
    expect(html).toContain("<title>一覧 &quot;改訂&quot;</title>");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).not.toContain("<script>");
    expect(html).toContain("<h2>A&amp;B 病院<small>中央圏域 / 病院</small></h2>");
    expect(html).toContain('src="https://photos.example/yamada.jpg"');
    expect(html).toContain("2025年6月15日 10:00 作成 ・ 1事業所 1名");
  });

  test("a person without a photo gets a placeholder, and the public sees no contacts", () => {
    const html = directoryHtml([organization([member({ photoUrl: null })])], PUBLIC_IDENTITY, "一覧", now);
    expect(html).toContain('<div class="photo none">写真なし</div>');
    expect(html).not.toContain("0761-22-1234");
    expect(directoryHtml([], PUBLIC_IDENTITY, "一覧", now)).toContain("条件に合う担当者はいません。");
  });
});
