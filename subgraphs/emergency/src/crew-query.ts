// The crew's view: the one operation an ambulance crew's phone sends at the doorstep, small enough for a weak connection, with fields from three subgraphs.
/**
 * Look-up and everything needed on scene: the person, medical content, who to call, ACP wishes, the primary hospital's
 * name and phone (resources subgraph) and the care manager's phone (groups subgraph); each medical item and the ACP wishes
 * with whether a professional confirmed them (who, when), or were only reported. Variables: `$input: EmergencyLookupInput!`.
 */
export const CREW_LOOKUP_QUERY = `mutation CrewLookup($input: EmergencyLookupInput!) {
  emergencyLookup(input: $input) {
    outcome
    accessWindowEndsAt
    candidates { name age district }
    profile {
      id
      person { name kana age sex }
      bloodType { abo rh source { ...Confirmation } }
      conditions { name since source { ...Confirmation } }
      medications { name dosage note source { ...Confirmation } }
      allergies { substance reaction severity source { ...Confirmation } }
      implantedDevices { kind description source { ...Confirmation } }
      careLevel
      careLevelSource { ...Confirmation }
      livingSituation { livesAlone familyCareCapacity note }
      emergencyContacts { priority name relation phone reachableHours }
      advanceCare { resuscitation preferredPlaceOfCare notes source { ...Confirmation } }
      primaryHospital { names { official } contact { phone } }
      careManager { name workContact { phone } }
    }
  }
}
fragment Confirmation on ItemSource { kind verification confirmedAt confirmedBy { name profession } }`;
