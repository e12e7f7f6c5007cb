// Domain rules without the database: Tokyo time labels, profession claims, and the validation of an event's fields together.
import { createEventInputSchema, professionOf, tokyoTimeLabel } from "../src/domain";

test("sessions are labelled on Tokyo's clock, with the end's date when it differs", () => {
  expect(tokyoTimeLabel(new Date("2026-04-15T09:30:00Z"), new Date("2026-04-15T11:00:00Z"))).toBe("2026年4月15日(水) 18:30〜20:00");
  expect(tokyoTimeLabel(new Date("2026-04-15T14:00:00Z"), new Date("2026-04-15T16:00:00Z"))).toBe("2026年4月15日(水) 23:00〜4月16日(木) 1:00");
});

test("a profession claim is a code or its Japanese name", () => {
  expect(professionOf("看護師")).toBe("NURSE");
  expect(professionOf("CARE_MANAGER")).toBe("CARE_MANAGER");
  expect(professionOf("大工")).toBeUndefined();
  expect(professionOf(undefined)).toBeUndefined();
});

test("an event's fields are checked together, each problem naming its field", () => {
  const base = {
    type: "COMMUNITY_CARE_MEETING",
    title: "地域ケア会議",
    organiserIds: ["65f000000000000000000001"],
    coHostIds: ["65f000000000000000000001"],
    format: "IN_PERSON",
    startsAt: "2026-05-12T14:00:00+09:00",
    endsAt: "2026-05-12T16:00:00+09:00",
    visibility: "GROUP",
    residentsWelcome: true,
  };
  const result = createEventInputSchema.safeParse(base);
  expect(result.success).toBe(false);
  expect(result.error?.issues.map((issue) => issue.path.join("."))).toEqual(["venueId", "visibilityGroupId", "residentsWelcome", "coHostIds"]);
});
