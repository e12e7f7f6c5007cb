// Item sources without a server: which items keep their source across an edit, what a confirmation stores, and how items from before sources read.
import type { Identity } from "@tsunagu/service-kit";
import { confirmation, itemSource, reportedSource, withSources } from "../src/item-sources";
import type { StoredContent } from "../src/item-sources";

const REGISTERED = new Date("2026-01-10T00:00:00Z");
const EDITED = new Date("2026-03-01T00:00:00Z");
const OWNER: Identity = { role: "RESIDENT", subject: "resident-1", authMethod: "jwt", scopes: [], displayName: "山田 ハナ" };
const HOLDERS = { ownerSubject: "resident-1", delegates: [{ subject: "son-1", name: "山田 直樹", relation: "長男" }] };
const DOCTOR = { role: "PROFESSIONAL", subject: "doc-1", name: "上野 医師", relation: null, profession: "PHYSICIAN", memberId: "m1", organizationId: null };

const aspirin = { name: "アスピリン", dosage: null, since: null, note: null };
const content = {
  medications: [aspirin, aspirin, { name: "フロセミド", dosage: "朝1錠", since: null, note: null }],
  careLevel: "CARE_1" as const,
  bloodType: { abo: "A" as const, rh: "POSITIVE" as const },
  allergies: [],
  advanceCare: null,
};

function registered(): StoredContent {
  return withSources(content, null, reportedSource(null, OWNER, REGISTERED)) as StoredContent;
}

test("a delegate's edit keeps the sources of unchanged items (each matched once) and records the delegate on the changed ones", () => {
  const stored = registered();
  const confirmed = { ...stored, ...confirmation(stored, [{ kind: "MEDICATION", index: 1 }, { kind: "CARE_LEVEL" }], DOCTOR, EDITED).set };
  const delegate: Identity = { role: "RESIDENT", subject: "son-1", authMethod: "jwt", scopes: [] };
  const edited = withSources(
    { medications: [aspirin, aspirin, { name: "フロセミド", dosage: "朝2錠", since: null, note: null }], careLevel: "CARE_2" },
    { ...confirmed, ...HOLDERS },
    reportedSource(HOLDERS, delegate, EDITED),
  );
  // The two identical aspirins keep one source each, in order: the unconfirmed first, the confirmed second.
  expect(edited.medications?.map((item) => [itemSource(item.source).kind, itemSource(item.source).verification])).toEqual([
    ["SELF_REPORTED", "UNCONFIRMED"],
    ["SELF_REPORTED", "CLINICIAN_CONFIRMED"],
    ["DELEGATE_REPORTED", "UNCONFIRMED"],
  ]);
  expect(itemSource(edited.medications?.[2]?.source).recordedBy).toMatchObject({ name: "山田 直樹", relation: "長男" });
  expect(itemSource(edited.careLevelSource)).toMatchObject({ kind: "DELEGATE_REPORTED", verification: "UNCONFIRMED", recordedAt: EDITED });
});

test("a confirmation names items that exist; a missing one, a list item without index or a single item with one is BAD_USER_INPUT", () => {
  const stored = registered();
  const { set, sections } = confirmation(stored, [{ kind: "BLOOD_TYPE" }, { kind: "MEDICATION", index: 2 }], DOCTOR, EDITED);
  expect(sections).toEqual(["BLOOD_TYPE", "MEDICATIONS"]);
  expect(itemSource(set.bloodType?.source)).toMatchObject({ kind: "SELF_REPORTED", recordedAt: REGISTERED, confirmedBy: DOCTOR, confirmedAt: EDITED });
  expect(set.medications?.map((item) => itemSource(item.source).verification)).toEqual(["UNCONFIRMED", "UNCONFIRMED", "CLINICIAN_CONFIRMED"]);
  const refused = (items: Parameters<typeof confirmation>[1]) => {
    try {
      confirmation(stored, items, DOCTOR, EDITED);
      return null;
    } catch (error) {
      return (error as { extensions?: { code?: string; field?: string } }).extensions;
    }
  };
  expect(refused([{ kind: "ALLERGY", index: 0 }])).toEqual(expect.objectContaining({ code: "BAD_USER_INPUT", field: "items.0.index" }));
  expect(refused([{ kind: "MEDICATION" }])).toEqual(expect.objectContaining({ code: "BAD_USER_INPUT", field: "items.0.index" }));
  expect(refused([{ kind: "BLOOD_TYPE", index: 0 }])).toEqual(expect.objectContaining({ code: "BAD_USER_INPUT", field: "items.0.index" }));
  expect(refused([{ kind: "ADVANCE_CARE" }])).toEqual(expect.objectContaining({ code: "BAD_USER_INPUT" }));
  expect(refused([])).toEqual(expect.objectContaining({ code: "BAD_USER_INPUT", field: "items" }));
});

test("sources stored before provenance read as unrecorded and unconfirmed", () => {
  for (const legacy of [undefined, null, "SELF_REPORTED", "CLINICIAN_CONFIRMED"] as const) {
    expect(itemSource(legacy)).toEqual({
      kind: "UNRECORDED",
      recordedAt: null,
      recordedBy: null,
      verification: "UNCONFIRMED",
      confirmedAt: null,
      confirmedBy: null,
    });
  }
});
