// `npm run token -- --role EMS [--profession 看護師] [--sub id] [--name 氏名] [--org id] [--member id | --demo CARE_MANAGER] [--scopes a:b,c:d] [--ttl 8h]`: prints a token signed with JWT_SECRET (or the one `npm start` generated into DATA_DIR); --demo takes a demo member from the running system.
import { parseArgs } from "node:util";
import { ROLES, exitOnConfigError, loadConfig, withGeneratedSecrets } from "@tsunagu/service-kit";
import type { Role } from "@tsunagu/service-kit";
import { gatewayConfigSchema, issueToken, jwtSettingsOf } from "@tsunagu/gateway";

const USAGE =
  "usage: npm run token -- --role <ROLE> [--profession 看護師] [--sub <id>] [--name <氏名>] [--org <id>] [--member <id> | --demo <PROFESSION>] [--scopes resources:read,...] [--ttl 8h]\n" +
  `roles: ${ROLES.filter((role) => role !== "PUBLIC").join(", ")}\n` +
  "Boards, transition notices and calendar feeds act as a member: give --member <id>, or --demo CARE_MANAGER (or NURSE,\n" +
  "MEDICAL_SOCIAL_WORKER, ...) to take the first demo member of that profession from the running system (its id, name and workplace).\n";

/** A demo member's claims: member id, workplace, name and profession. */
export interface DemoMemberClaims {
  memberId: string;
  organizationId?: string;
  displayName: string;
  profession: string;
}

/** The first member of `profession` in the contact directory of the gateway at `gatewayUrl`, asked with `authorization` (a coordinator's). */
export async function demoMemberClaims(gatewayUrl: string, profession: string, authorization: string): Promise<DemoMemberClaims> {
  const response = await fetch(gatewayUrl, {
    method: "POST",
    headers: { "content-type": "application/json", authorization },
    body: JSON.stringify({
      query:
        "query ($professions: [Profession!]) { contactDirectory(filter: { professions: $professions }, first: 5) { edges { node { members { id name profession affiliation { id } } } } } }",
      variables: { professions: [profession] },
    }),
  });
  const body = (await response.json()) as {
    data?: {
      contactDirectory: { edges: { node: { members: { id: string; name: string; profession: string; affiliation: { id: string } | null }[] } }[] };
    } | null;
    errors?: { message: string }[];
  };
  if (body.errors !== undefined || body.data == null)
    throw new Error(`the gateway at ${gatewayUrl} answered: ${body.errors?.map((error) => error.message).join("; ") ?? `HTTP ${response.status}`}`);
  const member = body.data.contactDirectory.edges.flatMap((edge) => edge.node.members).find((candidate) => candidate.profession === profession);
  if (member === undefined) throw new Error(`no demo member is a ${profession}; see the Profession values in the schema`);
  return {
    memberId: member.id,
    displayName: member.name,
    profession: member.profession,
    ...(member.affiliation === null ? {} : { organizationId: member.affiliation.id }),
  };
}

function isTokenRole(value: string): value is Exclude<Role, "PUBLIC"> {
  return value !== "PUBLIC" && (ROLES as readonly string[]).includes(value);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      role: { type: "string" },
      profession: { type: "string" },
      sub: { type: "string" },
      name: { type: "string" },
      org: { type: "string" },
      member: { type: "string" },
      demo: { type: "string" },
      gateway: { type: "string" },
      scopes: { type: "string" },
      ttl: { type: "string", default: "8h" },
    },
  });
  const role = values.role?.toUpperCase();
  if (role === undefined || !isTokenRole(role)) {
    process.stderr.write(USAGE);
    process.exitCode = 2;
    return;
  }
  const jwt = jwtSettingsOf(loadConfig(gatewayConfigSchema, withGeneratedSecrets(process.env)));
  if (jwt.secret === undefined) {
    process.stderr.write(`JWT_ALGORITHM=${jwt.algorithm}: tokens come from your identity provider; this script signs HS256 only\n`);
    process.exitCode = 1;
    return;
  }
  const settings = { secret: jwt.secret, issuer: jwt.issuer, audience: jwt.audience };
  let demo: DemoMemberClaims | undefined;
  if (values.demo !== undefined) {
    const gatewayUrl = values.gateway ?? `http://localhost:${process.env.PORT ?? "4000"}/graphql`;
    const coordinator = await issueToken({ role: "COORDINATOR", subject: "npm-run-token", expiresIn: "1m" }, settings);
    demo = await demoMemberClaims(gatewayUrl, values.demo.toUpperCase(), `Bearer ${coordinator}`);
    process.stderr.write(
      `# demo member ${demo.displayName} (${demo.profession}), member ${demo.memberId}${demo.organizationId === undefined ? "" : `, works at ${demo.organizationId}`}\n`,
    );
  } else if (role === "PROFESSIONAL" && values.member === undefined) {
    process.stderr.write("# no --member: boards, transition notices and calendar feeds will refuse this token (add --member <id> or --demo CARE_MANAGER)\n");
  }
  const subject = values.sub ?? (demo === undefined ? `dev-${role.toLowerCase()}` : `demo-member-${demo.memberId}`);
  const token = await issueToken(
    {
      role,
      subject,
      expiresIn: values.ttl,
      ...((values.name ?? demo?.displayName) === undefined ? {} : { displayName: values.name ?? demo?.displayName }),
      ...((values.profession ?? demo?.profession) === undefined ? {} : { profession: values.profession ?? demo?.profession }),
      ...((values.org ?? demo?.organizationId) === undefined ? {} : { organizationId: values.org ?? demo?.organizationId }),
      ...((values.member ?? demo?.memberId) === undefined ? {} : { memberId: values.member ?? demo?.memberId }),
      ...(values.scopes === undefined ? {} : { scopes: values.scopes.split(",").map((scope) => scope.trim()) }),
    },
    settings,
  );
  process.stderr.write(`# ${role} token for ${subject}, valid ${values.ttl}; send it as: Authorization: Bearer <token>\n`);
  process.stdout.write(`${token}\n`);
}

if (require.main === module) main().catch(exitOnConfigError);
