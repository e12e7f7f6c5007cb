// What a notice learns from other subgraphs when it is written, asked through their APIs as the sender: the patient's identification from their emergency profile, and the sender's name, office and phone for the recipient to call back.
import { badUserInput, internalError } from "@tsunagu/service-kit";
import type { Identity, PeerSubgraphs } from "@tsunagu/service-kit";
import type { PatientRecord, SenderContactRecord } from "./models";

const PROFILE_IDENTITY = `query ($id: ID!) { emergencyProfile(id: $id) { person { name kana dateOfBirth } } }`;
const MEMBER = `query ($id: ID!) { member(id: $id) { name workContact { phone } } }`;
const OFFICE = `query ($id: ID!) { resource(id: $id) { names { official } contact { phone } } }`;

/** The peers a notice needs, or an internal error naming the one missing (a subgraph run without its peers). */
function peersFor(peers: PeerSubgraphs | undefined, subgraph: string): PeerSubgraphs {
  if (peers === undefined || !peers.has(subgraph)) throw internalError(`the ${subgraph} service is not reachable from the transitions service`);
  return peers;
}

/**
 * The patient as the notice keeps them: with an emergency profile id, its name, kana and date of birth read from the
 * emergency service as the sender (the read is audited there; medical content is never copied). A profile that does not
 * exist or is not shared with the sender is refused, in the same words, so that the answer does not tell them apart.
 */
export async function resolvePatient(peers: PeerSubgraphs | undefined, sender: Identity, patient: PatientRecord): Promise<PatientRecord> {
  if (patient.emergencyProfileId === null) return patient;
  const answer = await peersFor(peers, "emergency").query<{ emergencyProfile: { person: { name: string; kana: string; dateOfBirth: string } } | null }>(
    "emergency",
    PROFILE_IDENTITY,
    { id: patient.emergencyProfileId },
    sender,
  );
  const person = answer.data?.emergencyProfile?.person;
  if (person === undefined) {
    throw badUserInput(
      "input.patient.emergencyProfileId: この救急医療情報は存在しないか、あなたに共有されていません (no emergency profile with this id is shared with you; identify the patient by name and date of birth instead)",
      "input.patient.emergencyProfileId",
    );
  }
  return { emergencyProfileId: patient.emergencyProfileId, name: person.name, kana: person.kana, dateOfBirth: person.dateOfBirth };
}

/**
 * Who sent the notice, as the recipient needs it to call back: the sender's name and work phone (else the office's)
 * from the member directory, and the office's name from the resources service. A sender the directory does not know,
 * or a transitions service run without those services, is recorded by the name in their token.
 */
export async function resolveSenderContact(
  peers: PeerSubgraphs | undefined,
  sender: Identity,
  memberId: string,
  resourceId: string | null,
): Promise<SenderContactRecord> {
  const ask = <T>(subgraph: string, query: string, id: string) =>
    peers !== undefined && peers.has(subgraph) ? peers.query<T>(subgraph, query, { id }, sender).then((answer) => answer.data) : Promise.resolve(null);
  const [member, office] = await Promise.all([
    ask<{ member: { name: string; workContact: { phone: string | null } | null } | null }>("groups", MEMBER, memberId),
    resourceId === null
      ? null
      : ask<{ resource: { names: { official: string }; contact: { phone: string | null } | null } | null }>("resources", OFFICE, resourceId),
  ]);
  const person = member?.member ?? null;
  const place = office?.resource ?? null;
  return {
    name: person?.name ?? sender.displayName ?? sender.subject ?? memberId,
    office: place?.names.official ?? null,
    phone: person?.workContact?.phone ?? place?.contact?.phone ?? null,
  };
}
