/** Policies 1: CI access to the images is repository-scoped, and a repository's IAM is not mixed. */
import { at, list, str } from "./inspect";
import { type Resource, resourceRule, stackRule } from "./rules";

// ---- 1. CI access is repository-scoped -------------------------------------------------

/** Project-, folder- and organization-wide IAM: a grant here reaches every repository and bucket. */
const WIDE_IAM_MEMBER = [
  "gcp:projects/iAMMember:IAMMember",
  "gcp:folder/iAMMember:IAMMember",
  "gcp:organizations/iAMMember:IAMMember",
];
const WIDE_IAM_BINDING = [
  "gcp:projects/iAMBinding:IAMBinding",
  "gcp:folder/iAMBinding:IAMBinding",
  "gcp:organizations/iAMBinding:IAMBinding",
];
const WIDE_IAM_POLICY = [
  "gcp:projects/iAMPolicy:IAMPolicy",
  "gcp:folder/iAMPolicy:IAMPolicy",
  "gcp:organizations/iAMPolicy:IAMPolicy",
];

const REPOSITORY_IAM_MEMBER = "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember";
const REPOSITORY_IAM_BINDING = "gcp:artifactregistry/repositoryIamBinding:RepositoryIamBinding";
const REPOSITORY_IAM_POLICY = "gcp:artifactregistry/repositoryIamPolicy:RepositoryIamPolicy";

/** The roles a repository grant may carry: pull, or pull and push. */
export const REPOSITORY_ROLES = ["roles/artifactregistry.reader", "roles/artifactregistry.writer"];

/** Roles that reach images or their storage when granted wide (basic roles include them). */
function isRegistryRole(role: string): boolean {
  return (
    /^roles\/(artifactregistry|storage)\./.test(role) ||
    role === "roles/owner" ||
    role === "roles/editor"
  );
}

/** A workload identity: a service account (the CI account) or a federated principal acting as one. */
function isWorkloadMember(member: string): boolean {
  return /^(serviceAccount:|principal:\/\/|principalSet:\/\/)/.test(member);
}

/** role → members of an IAM policy document (`policyData`, JSON). */
function policyBindings(policyData: unknown): { role: string; members: string[] }[] {
  if (typeof policyData !== "string") return [];
  try {
    const doc = JSON.parse(policyData) as unknown;
    return list(at(doc, "bindings")).flatMap((b) => {
      const role = str(at(b, "role"));
      return role
        ? [
            {
              role,
              members: list(at(b, "members")).filter((m): m is string => typeof m === "string"),
            },
          ]
        : [];
    });
  } catch {
    return [];
  }
}

/** The (role, members) grants an IAM resource makes. */
function grants(r: Resource): { role: string; members: string[] }[] {
  const role = str(r.props.role);
  if (WIDE_IAM_MEMBER.includes(r.type) || r.type === REPOSITORY_IAM_MEMBER) {
    const member = str(r.props.member);
    return role && member ? [{ role, members: [member] }] : [];
  }
  if (WIDE_IAM_BINDING.includes(r.type) || r.type === REPOSITORY_IAM_BINDING)
    return role
      ? [{ role, members: list(r.props.members).filter((m): m is string => typeof m === "string") }]
      : [];
  if (WIDE_IAM_POLICY.includes(r.type) || r.type === REPOSITORY_IAM_POLICY)
    return policyBindings(r.props.policyData);
  return [];
}

export const ciAccessRepositoryScoped = resourceRule(
  {
    name: "ci-access-repository-scoped",
    description:
      "No project-, folder- or organization-wide Artifact Registry or Storage role for a service account (the CI account): grant roles/artifactregistry.writer or .reader on the repository (RepositoryIamMember).",
    severity: "high",
    tags: ["gcp", "iam"],
  },
  (r, report) => {
    const wide = [...WIDE_IAM_MEMBER, ...WIDE_IAM_BINDING, ...WIDE_IAM_POLICY].includes(r.type);
    const repository = [
      REPOSITORY_IAM_MEMBER,
      REPOSITORY_IAM_BINDING,
      REPOSITORY_IAM_POLICY,
    ].includes(r.type);
    if (!wide && !repository) return;
    const scope = r.type.split(/[:/]/)[1];
    for (const { role, members } of grants(r)) {
      if (wide && isRegistryRole(role))
        for (const member of members.filter(isWorkloadMember))
          report(
            `${member} gets ${role} on the whole ${scope === "projects" ? "project" : scope}: grant roles/artifactregistry.writer (or .reader) on the repository with a RepositoryIamMember instead`,
          );
      if (repository && !REPOSITORY_ROLES.includes(role))
        report(
          `${role} on the repository: repository grants are ${REPOSITORY_ROLES.join(" or ")} only`,
        );
    }
  },
);

/** The repository id a repository IAM resource is about ("projects/p/locations/l/repositories/r" or "r"). */
function repositoryKey(r: Resource): string | undefined {
  const repository = str(r.props.repository);
  if (!repository) return undefined;
  const id = repository.split("/").pop() ?? repository;
  const location = str(r.props.location) ?? /\/locations\/([^/]+)\//.exec(repository)?.[1] ?? "";
  return `${location}/${id}`;
}

export const repositoryIamNotMixed = stackRule(
  {
    name: "repository-iam-not-mixed",
    description:
      "A repository's IAM is either authoritative (RepositoryIamPolicy / RepositoryIamBinding) or additive (RepositoryIamMember), never both: the authoritative one removes the members' grants on its next update.",
    severity: "high",
    tags: ["gcp", "iam"],
  },
  (resources, report) => {
    const byRepository = new Map<
      string,
      { members: Resource[]; authoritative: (Resource & { urn: string })[] }
    >();
    for (const r of resources) {
      const kind =
        r.type === REPOSITORY_IAM_MEMBER
          ? "members"
          : r.type === REPOSITORY_IAM_BINDING || r.type === REPOSITORY_IAM_POLICY
            ? "authoritative"
            : undefined;
      const key = kind && repositoryKey(r);
      if (!kind || !key) continue;
      const entry = byRepository.get(key) ?? { members: [], authoritative: [] };
      if (kind === "members") entry.members.push(r);
      else entry.authoritative.push(r);
      byRepository.set(key, entry);
    }
    for (const [key, { members, authoritative }] of byRepository)
      if (members.length > 0)
        for (const a of authoritative)
          report(
            `${a.type.split(":").pop()} ${a.name} is authoritative on repository ${key} where ${members.map((m) => m.name).join(", ")} add members: use RepositoryIamMember only`,
            a.urn,
          );
  },
);
