// What makes records one place (HSDS location): the same 事業所番号, the same 医療機関コード, or the same 法人番号 at the same normalised address.
import { addressKey } from "./import/cells";
import type { ResourceInput } from "./domain";

/** The keys of a resource's place; records sharing any key are services at one place. Empty when nothing identifies it. */
export function placeKeysOf(input: Pick<ResourceInput, "identifiers" | "address">): string[] {
  const { careOfficeNumber, medicalInstitutionCode, corporateNumber } = input.identifiers;
  return [
    ...(careOfficeNumber ? [`office:${careOfficeNumber}`] : []),
    ...(medicalInstitutionCode ? [`medical:${medicalInstitutionCode}`] : []),
    ...(corporateNumber && input.address.street ? [`corp:${corporateNumber}@${addressKey(input.address)}`] : []),
  ];
}
