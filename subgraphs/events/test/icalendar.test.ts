// RFC 5545 text: escaping, folding at 75 octets without splitting a character, Tokyo wall-clock times and the document's frame.
import { escapeText, foldLine, renderCalendar, tokyoLocal } from "../src/icalendar";

test("TEXT escapes backslashes, semicolons, commas and line breaks", () => {
  expect(escapeText("a\\b;c,d\ne\r\nf")).toBe("a\\\\b\\;c\\,d\\ne\\nf");
});

test("lines fold at 75 octets, continuation lines start with a space, and a three-octet character is never split", () => {
  const line = `SUMMARY:${"在宅医療".repeat(20)}`;
  const folded = foldLine(line).split("\r\n");
  expect(folded.length).toBeGreaterThan(1);
  for (const [index, physical] of folded.entries()) {
    expect(Buffer.byteLength(physical, "utf8")).toBeLessThanOrEqual(75);
    if (index > 0) expect(physical.startsWith(" ")).toBe(true);
  }
  expect(folded.map((physical, index) => (index === 0 ? physical : physical.slice(1))).join("")).toBe(line);
  expect(Buffer.byteLength(folded[0], "utf8")).toBe(8 + 3 * 22);
  expect(foldLine("SHORT:ok")).toBe("SHORT:ok");
});

test("a document has CRLF endings, the Asia/Tokyo VTIMEZONE and Tokyo wall-clock times", () => {
  expect(tokyoLocal(new Date("2026-04-15T09:30:00Z"))).toBe("20260415T183000");
  const text = renderCalendar({
    name: "テスト",
    generatedAt: new Date("2026-04-01T00:00:00Z"),
    entries: [
      {
        uid: "a@events.tsunagu",
        sequence: 2,
        lastModified: new Date("2026-03-01T00:00:00Z"),
        startsAt: new Date("2026-04-15T09:30:00Z"),
        endsAt: new Date("2026-04-15T11:00:00Z"),
        summary: "研修",
        status: "CONFIRMED",
        categories: ["研修会"],
      },
    ],
  });
  expect(text.endsWith("END:VCALENDAR\r\n")).toBe(true);
  expect(text.split("\r\n")).toEqual(
    expect.arrayContaining([
      "TZID:Asia/Tokyo",
      "TZOFFSETTO:+0900",
      "DTSTAMP:20260401T000000Z",
      "DTSTART;TZID=Asia/Tokyo:20260415T183000",
      "DTEND;TZID=Asia/Tokyo:20260415T200000",
      "SEQUENCE:2",
    ]),
  );
});
