// `npm run token -- --role EMS [--profession 看護師] [--sub id] [--name 氏名] [--org id] [--member id] [--scopes a:b,c:d] [--ttl 8h]`: prints a token signed with JWT_SECRET (or the one `npm start` generated into DATA_DIR).
import { parseArgs } from "node:util";
import { ROLES, exitOnConfigError, loadConfig, withGeneratedSecrets } from "@tsunagu/service-kit";
import type { Role } from "@tsunagu/service-kit";
import { gatewayConfigSchema, issueToken, jwtSettingsOf } from "@tsunagu/gateway";

const USAGE =
  "usage: npm run token -- --role <ROLE> [--profession 看護師] [--sub <id>] [--name <氏名>] [--org <id>] [--member <id>] [--scopes resources:read,...] [--ttl 8h]\n" +
  `roles: ${ROLES.filter((role) => role !== "PUBLIC").join(", ")}\n`;

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
  const subject = values.sub ?? `dev-${role.toLowerCase()}`;
  const token = await issueToken(
    {
      role,
      subject,
      expiresIn: values.ttl,
      ...(values.name === undefined ? {} : { displayName: values.name }),
      ...(values.profession === undefined ? {} : { profession: values.profession }),
      ...(values.org === undefined ? {} : { organizationId: values.org }),
      ...(values.member === undefined ? {} : { memberId: values.member }),
      ...(values.scopes === undefined ? {} : { scopes: values.scopes.split(",").map((scope) => scope.trim()) }),
    },
    { secret: jwt.secret, issuer: jwt.issuer, audience: jwt.audience },
  );
  process.stderr.write(`# ${role} token for ${subject}, valid ${values.ttl}; send it as: Authorization: Bearer <token>\n`);
  process.stdout.write(`${token}\n`);
}

main().catch(exitOnConfigError);
