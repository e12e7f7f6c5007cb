// Field provenance is stored one entry per write (the fields it set last) and shown one entry per field; a person's edit takes its fields off the import's entry for good.
import { editedByPeople, provenanceByField, withProvenance } from "../src/field-provenance";
import type { FieldProvenanceDocument } from "../src/models";

const IMPORTED_AT = new Date("2026-04-01T00:00:00Z");
const EDITED_AT = new Date("2026-05-01T00:00:00Z");
const REIMPORTED_AT = new Date("2026-06-01T00:00:00Z");

const firstImport: FieldProvenanceDocument = {
  fields: ["names.official", "contact.phone", "contact.url"],
  source: "OPEN_DATA",
  file: "jigyosho_130.csv",
  at: IMPORTED_AT,
};
const edit: FieldProvenanceDocument = { fields: ["contact.phone"], source: "COORDINATOR", editedBy: "長寿介護課 山田", at: EDITED_AT };

test("a person's edit takes its field off the import's entry; a later import replaces only what it writes", () => {
  const afterEdit = withProvenance([firstImport], [edit]);
  expect(afterEdit).toEqual([{ ...firstImport, fields: ["names.official", "contact.url"] }, edit]);
  expect([...editedByPeople(afterEdit)]).toEqual(["contact.phone"]);

  const reimport: FieldProvenanceDocument = { fields: ["names.official", "contact.url"], source: "OPEN_DATA", file: "jigyosho_130.csv", at: REIMPORTED_AT };
  expect(withProvenance(afterEdit, [reimport])).toEqual([edit, reimport]);
});

test("the API's view has one entry per field, with the write that set it", () => {
  const view = provenanceByField(withProvenance([firstImport], [edit]));
  expect(view).toEqual([
    { field: "names.official", source: "OPEN_DATA", file: "jigyosho_130.csv", at: IMPORTED_AT },
    { field: "contact.url", source: "OPEN_DATA", file: "jigyosho_130.csv", at: IMPORTED_AT },
    { field: "contact.phone", source: "COORDINATOR", editedBy: "長寿介護課 山田", at: EDITED_AT },
  ]);
  expect(provenanceByField(undefined)).toEqual([]);
});

test("entries stored one per field by an earlier version read as writes of that field", () => {
  const legacy = [
    { field: "contact.phone", source: "COORDINATOR", editedBy: "長寿介護課 山田", at: EDITED_AT },
    { field: "names.official", source: "OPEN_DATA", file: "jigyosho_130.csv", at: IMPORTED_AT },
  ] as unknown as FieldProvenanceDocument[];
  expect([...editedByPeople(legacy)]).toEqual(["contact.phone"]);
  expect(provenanceByField(legacy).map((entry) => entry.field)).toEqual(["contact.phone", "names.official"]);
  const reimport: FieldProvenanceDocument = { fields: ["names.official"], source: "OPEN_DATA", file: "jigyosho_130.csv", at: REIMPORTED_AT };
  expect(withProvenance(legacy, [reimport])).toEqual([
    { fields: ["contact.phone"], source: "COORDINATOR", editedBy: "長寿介護課 山田", at: EDITED_AT },
    reimport,
  ]);
});
