/**
 * Which input changes REPLACE a resource and which UPDATE it in place, per Pulumi type token,
 * for every resource type the program registers (plus a few it is likely to). The lifecycle
 * harness classifies each changed input path of a resource between two runs with this table.
 *
 * Format. Paths are dot paths on the Pulumi (camelCase) input names; `*` matches one segment
 * (an array index or a map key); a path covers everything below it. The classifier takes the
 * LONGEST matching path across both lists, so a broad `replaces` entry can be narrowed by a
 * deeper `updates` entry (and vice versa). A changed path matched by neither list fails the
 * harness on purpose.
 *
 * How the facts were gathered (no guesses; each entry's `source` names the file and version):
 * - Bridged Terraform providers (docker, random, tls, gcp): the provider's own schema, read in
 *   the upstream repository at the tag the Pulumi package is built from (or the nearest one in
 *   the mirror). SDKv2 schemas: `ForceNew: true` replaces, anything else updates, plus any
 *   CustomizeDiff `ForceNew*`. Plugin-framework schemas: `RequiresReplace*` plan modifiers.
 *   Terraform snake_case names were mapped to the installed SDK's camelCase `*Args` names
 *   (node_modules/@pulumi/<pkg>/*.d.ts), which also pluralises list blocks (env -> envs).
 * - SDKv2 nested blocks: a change to a list/set block's element COUNT follows the block's own
 *   ForceNew; a change INSIDE an element follows the sub-field's ForceNew. The table lists the
 *   block (count changes) and then the sub-fields that differ from it.
 * - pulumi-command: the schema's `replaceOnChanges` plus the resource's Update code.
 * - pulumi-kubernetes (not bridged): provider/pkg/provider/diff.go `forceNewProperties` - its own
 *   table of immutable fields - and the Diff in provider/pkg/provider/provider.go.
 * An input that could not be verified sits in `replaces` with a note "unverified".
 */

/** One provider resource type's replacement facts. */
export interface TypeRule {
  /** Where these facts come from: repository, file path and version/commit (or docs URL). */
  source: string;
  /** Input property paths whose change replaces the resource. Dot paths on the Pulumi (camelCase) input names; `*` matches one segment (an array index or map key). A path also covers everything below it. */
  replaces: string[];
  /** Input property paths whose change updates the resource in place. Same syntax. */
  updates: string[];
  /** Optional: one line on a subtle point (e.g. "grow only: shrinking fails"). */
  notes?: string[];
}

// ---------------------------------------------------------------------------------- sources

const DOCKER_SRC =
  "kreuzwerker/terraform-provider-docker v4.5.0 (5074970c71ce), the upstream submodule pinned by " +
  "pulumi/pulumi-docker v5.1.0 and HEAD 237b7899bb51 (node_modules has @pulumi/docker 5.2.0, not in the mirror; " +
  "its SDK matches this schema except deviceCgroupRules)";
const RANDOM_SRC =
  "hashicorp/terraform-provider-random v3.9.0 (f8d869dc98d9) internal/provider/resource_{password,string,id}.go " +
  "(node_modules @pulumi/random 4.21.2; upstream pin not checked, the schema is unchanged up to HEAD ad788e233bb4)";
const TLS_SRC = "hashicorp/terraform-provider-tls v4.2.1 (857b38cda3fc) internal/provider/"; // + file below
const TLS_VERSION_NOTE =
  "node_modules has @pulumi/tls 5.6.1, built from a newer upstream (terraform-provider-tls 609226f53114, " +
  "not in the mirror) that adds the write-only *PemWo/*PemWoVersion inputs; their facts come from the SDK's .d.ts docs";
const COMMAND_SRC =
  "pulumi/pulumi-command v1.2.1 (7f3eb6f3b77c) provider/cmd/pulumi-resource-command/schema.json (replaceOnChanges) " +
  "and provider/pkg/provider/"; // + file below
const GCP_SRC =
  "hashicorp/terraform-provider-google-beta v7.45.0 (3dc173a39774) google-beta/services/"; // + file below
const GCP_VERSION_NOTE =
  "pulumi-gcp is bridged from terraform-provider-google-beta; node_modules has @pulumi/gcp 9.37.0 whose exact " +
  "upstream pin was not checked (v7.45.0 is the newest tag in the mirror; GA v7.45.0 agrees except beta-only fields)";
const K8S_SRC =
  "pulumi/pulumi-kubernetes HEAD 94977969d641 (v4.32.0+27; node_modules has @pulumi/kubernetes 4.34.2) " +
  "provider/pkg/provider/diff.go forceNewProperties + provider.go Diff";

/** RandomPassword and RandomString share one schema: every input carries RequiresReplace. */
const RANDOM_CHARSET_INPUTS = [
  "length",
  "special",
  "upper",
  "lower",
  "number",
  "numeric",
  "minLower",
  "minUpper",
  "minNumeric",
  "minSpecial",
  "overrideSpecial",
  "keepers",
];

/** pulumi-kubernetes: `.metadata.name` and `.metadata.namespace` always replace (diff.go metadataForceNewProperties). */
const K8S_IDENTITY = ["metadata.name", "metadata.namespace", "apiVersion", "kind"];
const K8S_IDENTITY_NOTE =
  "metadata.name/namespace replace for every kind; apiVersion/kind are part of the type token, so a change is a new type " +
  "(listed as replace); a replacement of an explicitly named object is delete-before-replace (provider.go Diff)";

/** A kind with no entry in pulumi-kubernetes' forceNew table: everything but identity updates. */
function k8sAllUpdate(kind: string, updates: string[], notes: string[] = []): TypeRule {
  return {
    source: `${K8S_SRC} (${kind} has no entry in the forceNew table)`,
    replaces: K8S_IDENTITY,
    updates,
    notes: [K8S_IDENTITY_NOTE, ...notes],
  };
}

// ------------------------------------------------------------------------------------ table

export const replaceTable: Record<string, TypeRule> = {
  // ------------------------------------------------------------------------------- docker
  "docker:index/container:Container": {
    source: `${DOCKER_SRC}: internal/provider/resource_docker_container.go (schema) and resource_docker_container_funcs.go resourceDockerContainerUpdate`,
    replaces: [
      "name",
      "image",
      "command",
      "entrypoints",
      "envs",
      "labels",
      "ports",
      "volumes",
      "mounts",
      "mounts.*.volumeOptions.subpath",
      "mounts.*.tmpfsOptions",
      "uploads",
      "networksAdvanced",
      "networkMode",
      "logDriver",
      "logOpts",
      "hostname",
      "domainname",
      "user",
      "workingDir",
      "dns",
      "dnsOpts",
      "dnsSearches",
      "hosts",
      "publishAllPorts",
      "readOnly",
      "privileged",
      "capabilities",
      "securityOpts",
      "devices",
      "deviceRequests",
      "deviceCgroupRules",
      "ulimits",
      "sysctls",
      "tty",
      "stdinOpen",
      "runtime",
      "platform",
      "stopSignal",
      "stopTimeout",
      "shmSize",
      "pidMode",
      "ipcMode",
      "usernsMode",
      "groupAdds",
      "storageOpts",
      "gpus",
      "cpus",
      "cgroupnsMode",
      "cgroupParent",
    ],
    updates: [
      "restart",
      "maxRetryCount",
      "memory",
      "memoryReservation",
      "memorySwap",
      "cpuShares",
      "cpuSet",
      "deviceReadBps",
      "deviceReadIops",
      "deviceWriteBps",
      "deviceWriteIops",
      "healthcheck",
      "wait",
      "waitTimeout",
      "mustRun",
      "start",
      "rm",
      "attach",
      "logs",
      "removeVolumes",
      "destroyGraceSeconds",
      "containerReadRefreshTimeoutMilliseconds",
      "tmpfs",
      "init",
      "cpuPeriod",
      "cpuQuota",
      "mounts.*.target",
      "mounts.*.source",
      "mounts.*.type",
      "mounts.*.readOnly",
      "mounts.*.bindOptions",
      "mounts.*.volumeOptions",
    ],
    notes: [
      "Update only calls ContainerUpdate for restart, maxRetryCount, memory*, cpuShares, cpuSet and device*Bps/Iops (and starts the container when mustRun goes false->true); every other in-place update only rewrites Pulumi state",
      "healthcheck is not ForceNew: changing it plans an update, but the running container keeps its old healthcheck until it is replaced for another reason",
      "wait/waitTimeout/start/rm/attach/logs/mustRun/destroyGraceSeconds/removeVolumes are provider-side behaviour flags: state-only updates",
      "mounts is ForceNew (adding or removing a mount replaces) but its sub-fields target/source/type/readOnly/bindOptions/volumeOptions are not: editing an existing element plans an in-place update that Update ignores (SDKv2 set diff); the harness must treat a change in the mounts array LENGTH as replace",
      "deviceCgroupRules is in @pulumi/docker 5.2.0 but not in upstream v4.5.0 or its HEAD 83c00e0bf3ce: unverified, treated as replace",
    ],
  },
  "docker:index/volume:Volume": {
    source: `${DOCKER_SRC}: internal/provider/resource_docker_volume.go (schema, resourceDockerVolumeUpdate)`,
    replaces: ["name", "driver", "driverOpts", "labels", "cluster"],
    updates: ["cluster.availability"],
    notes: [
      "only cluster.availability (swarm volumes) updates in place; every other change recreates the volume, i.e. an EMPTY volume (data lost unless the old one is kept)",
    ],
  },
  "docker:index/network:Network": {
    source: `${DOCKER_SRC}: internal/provider/resource_docker_network.go (schema has no UpdateContext)`,
    replaces: [
      "name",
      "driver",
      "labels",
      "options",
      "internal",
      "attachable",
      "ingress",
      "ipv6",
      "ipamDriver",
      "ipamOptions",
      "ipamConfigs",
    ],
    updates: [],
    notes: ["the resource has no Update: every input is ForceNew"],
  },
  "docker:index/remoteImage:RemoteImage": {
    source: `${DOCKER_SRC}: internal/provider/resource_docker_image.go (schema) and resource_docker_image_funcs.go resourceDockerImageUpdate`,
    replaces: ["name", "pullTriggers", "triggers", "platform", "build"],
    updates: ["keepLocally", "forceRemove"],
    notes: [
      "keepLocally/forceRemove only matter at delete: state-only updates (Update re-reads the image)",
      "build: mostly ForceNew sub-fields (dockerfile, context, ...); a few (tag, label, secrets, ...) are not: treated as replace (unverified per sub-field)",
    ],
  },

  // ------------------------------------------------------------------------------- random
  "random:index/randomPassword:RandomPassword": {
    source: `${RANDOM_SRC} (resource_password.go)`,
    replaces: RANDOM_CHARSET_INPUTS,
    updates: [],
    notes: [
      "every input has a RequiresReplace plan modifier; Update only copies the plan into state",
      "keepers: RequiresReplaceIfValuesNotNull - adding keys whose values are all null does not replace",
      'overrideSpecial: RequiresReplaceUnlessEmptyStringToNull - "" -> unset does not replace',
    ],
  },
  "random:index/randomString:RandomString": {
    source: `${RANDOM_SRC} (resource_string.go)`,
    replaces: RANDOM_CHARSET_INPUTS,
    updates: [],
    notes: ["same modifiers as RandomPassword: every input replaces"],
  },
  "random:index/randomId:RandomId": {
    source: `${RANDOM_SRC} (resource_id.go)`,
    replaces: ["byteLength", "prefix", "keepers"],
    updates: [],
  },

  // ---------------------------------------------------------------------------------- tls
  "tls:index/privateKey:PrivateKey": {
    source: `${TLS_SRC}resource_private_key.go`,
    replaces: ["algorithm", "rsaBits", "ecdsaCurve"],
    updates: [],
    notes: [
      "rsaBits defaults to 2048 and ecdsaCurve to P224 (schema defaults): setting either explicitly to its default is no change",
    ],
  },
  "tls:index/selfSignedCert:SelfSignedCert": {
    source: `${TLS_SRC}resource_self_signed_cert.go and common_cert.go modifyPlanIfCertificateReadyForRenewal; ${TLS_VERSION_NOTE}`,
    replaces: [
      "privateKeyPem",
      "privateKeyPemWoVersion",
      "subject",
      "validityPeriodHours",
      "allowedUses",
      "dnsNames",
      "ipAddresses",
      "uris",
      "isCaCertificate",
      "maxPathLength",
      "setSubjectKeyId",
      "setAuthorityKeyId",
    ],
    updates: ["earlyRenewalHours", "privateKeyPemWo"],
    notes: [
      "early renewal: at plan time, once now >= validityEndTime - earlyRenewalHours, ModifyPlan marks readyForRenewal unknown and RequiresReplace - a replacement with NO input change (also when the cert has expired)",
      "earlyRenewalHours itself updates in place (state only); it only moves the renewal point",
      "privateKeyPem: requireReplaceIfStateContainsPEMString - any change of a PEM in state replaces",
      "privateKeyPemWo is write-only (never in state), so the provider cannot see it change; bumping privateKeyPemWoVersion is what re-issues the cert (SDK .d.ts docs); unverified in source",
    ],
  },
  "tls:index/certRequest:CertRequest": {
    source: `${TLS_SRC}resource_cert_request.go; ${TLS_VERSION_NOTE}`,
    replaces: [
      "privateKeyPem",
      "privateKeyPemWoVersion",
      "subject",
      "dnsNames",
      "ipAddresses",
      "uris",
    ],
    updates: ["privateKeyPemWo"],
    notes: [
      "every stored input replaces; privateKeyPemWo is write-only (see SelfSignedCert), unverified in source",
    ],
  },
  "tls:index/locallySignedCert:LocallySignedCert": {
    source: `${TLS_SRC}resource_locally_signed_cert.go and common_cert.go modifyPlanIfCertificateReadyForRenewal; ${TLS_VERSION_NOTE}`,
    replaces: [
      "certRequestPem",
      "caCertPem",
      "caPrivateKeyPem",
      "caPrivateKeyPemWoVersion",
      "validityPeriodHours",
      "allowedUses",
      "isCaCertificate",
      "maxPathLength",
      "setSubjectKeyId",
    ],
    updates: ["earlyRenewalHours", "caPrivateKeyPemWo"],
    notes: [
      "early renewal as SelfSignedCert: readyForRenewal forces a replacement at plan time once now >= validityEndTime - earlyRenewalHours",
      "a new CA cert or CA key (caCertPem/caPrivateKeyPem) replaces every leaf signed by it",
    ],
  },

  // ------------------------------------------------------------------------------ command
  "command:local:Command": {
    source: `${COMMAND_SRC}local/commandController.go Update`,
    replaces: ["triggers"],
    updates: [
      "create",
      "update",
      "delete",
      "environment",
      "stdin",
      "dir",
      "interpreter",
      "logging",
      "addPreviousOutputInEnv",
      "assetPaths",
      "archivePaths",
    ],
    notes: [
      "only triggers has replaceOnChanges: a replacement runs `create` for the new resource and `delete` for the old one (create first unless deleteBeforeReplace)",
      "any other input change is an update that runs `update`, or `create` again when `update` is unset (nothing if neither is set)",
      "a change to `delete` alone still re-runs update/create",
    ],
  },
  "command:remote:Command": {
    source: `${COMMAND_SRC}remote/commandController.go Update`,
    replaces: ["triggers"],
    updates: [
      "connection",
      "create",
      "update",
      "delete",
      "environment",
      "stdin",
      "logging",
      "addPreviousOutputInEnv",
    ],
    notes: [
      "as local Command: an update runs `update`, else `create` again; connection changes are updates (the command runs over the new connection)",
    ],
  },
  "command:remote:CopyToRemote": {
    source: `${COMMAND_SRC}remote/copyController.go Update`,
    replaces: ["triggers"],
    updates: ["source", "remotePath", "connection"],
    notes: [
      "Update re-copies only when the source hash or remotePath changed; a connection-only change updates state and copies nothing",
      "the file at the old remotePath is not removed",
    ],
  },

  // ---------------------------------------------------------------------------------- gcp
  "gcp:compute/address:Address": {
    source: `${GCP_SRC}compute/resource_compute_address.go; ${GCP_VERSION_NOTE}`,
    replaces: [
      "name",
      "address",
      "addressType",
      "description",
      "ipVersion",
      "ipv6EndpointType",
      "ipCollection",
      "network",
      "networkTier",
      "prefixLength",
      "purpose",
      "region",
      "subnetwork",
      "project",
    ],
    updates: ["labels", "deletionPolicy"],
    notes: ["description is ForceNew here: editing it replaces the address"],
  },
  "gcp:compute/firewall:Firewall": {
    source: `${GCP_SRC}compute/resource_compute_firewall.go; ${GCP_VERSION_NOTE}`,
    replaces: ["name", "direction", "project", "params"],
    updates: [
      "network",
      "allows",
      "denies",
      "description",
      "destinationRanges",
      "disabled",
      "enableLogging",
      "logConfig",
      "priority",
      "sourceRanges",
      "sourceServiceAccounts",
      "sourceTags",
      "targetServiceAccounts",
      "targetTags",
      "deletionPolicy",
    ],
    notes: [
      "network is Required but not ForceNew in the schema (planned as update); whether the API accepts a network change was not verified",
    ],
  },
  "gcp:compute/disk:Disk": {
    source: `${GCP_SRC}compute/resource_compute_disk.go (schema + CustomizeDiff ForceNewIfChange("size", IsDiskShrinkage)); ${GCP_VERSION_NOTE}`,
    replaces: [
      "name",
      "zone",
      "project",
      "type",
      "image",
      "snapshot",
      "sourceDisk",
      "sourceInstantSnapshot",
      "sourceStorageObject",
      "description",
      "architecture",
      "asyncPrimaryDisk",
      "diskEncryptionKey",
      "sourceImageEncryptionKey",
      "sourceSnapshotEncryptionKey",
      "enableConfidentialCompute",
      "eraseWindowsVssSignature",
      "guestOsFeatures",
      "interface",
      "licenses",
      "multiWriter",
      "params",
      "physicalBlockSizeBytes",
      "resourcePolicies",
      "storagePool",
    ],
    updates: [
      "size",
      "labels",
      "accessMode",
      "provisionedIops",
      "provisionedThroughput",
      "createSnapshotBeforeDestroy",
      "createSnapshotBeforeDestroyPrefix",
      "deletionPolicy",
    ],
    notes: [
      "size: growing resizes in place; SHRINKING replaces the disk (CustomizeDiff ForceNewIfChange IsDiskShrinkage) - data lost",
      "type/zone/name changes replace the disk: a new empty disk",
    ],
  },
  "gcp:compute/instance:Instance": {
    source: `${GCP_SRC}compute/resource_compute_instance.go (schema, CustomizeDiff: ForceNewIf metadata_startup_script, forceNewIfNetworkIPNotUpdatable); ${GCP_VERSION_NOTE}`,
    replaces: [
      "name",
      "zone",
      "project",
      "hostname",
      "metadataStartupScript",
      "bootDisk",
      "bootDisk.initializeParams.sourceImageEncryptionKey",
      "bootDisk.initializeParams.sourceSnapshotEncryptionKey",
      "networkInterfaces",
      "networkInterfaces.*.networkIp",
      "networkInterfaces.*.nicType",
      "networkInterfaces.*.vlan",
      "networkInterfaces.*.networkAttachment",
      "networkInterfaces.*.queueCount",
      "networkInterfaces.*.ipv6AccessConfigs.*.externalIpv6",
      "networkInterfaces.*.ipv6AccessConfigs.*.externalIpv6PrefixLength",
      "networkInterfaces.*.ipv6AccessConfigs.*.name",
      "attachedDisks.*.forceAttach",
      "scratchDisks",
      "guestAccelerators",
      "confidentialInstanceConfig",
      "reservationAffinity",
      "networkPerformanceConfig",
      "instanceEncryptionKey",
      "keyRevocationActionType",
      "eraseWindowsVssSignature",
      "params",
      "scheduling.preemptible",
      "scheduling.provisioningModel",
      "scheduling.terminationTime",
      "scheduling.maxRunDuration",
      "scheduling.onInstanceStopAction",
      "scheduling.localSsdRecoveryTimeout",
    ],
    updates: [
      "machineType",
      "allowStoppingForUpdate",
      "metadata",
      "partnerMetadata",
      "labels",
      "tags",
      "description",
      "serviceAccount",
      "shieldedInstanceConfig",
      "attachedDisks",
      "bootDisk.autoDelete",
      "bootDisk.interface",
      "bootDisk.initializeParams.size",
      "bootDisk.initializeParams.labels",
      "networkInterfaces.*.network",
      "networkInterfaces.*.subnetwork",
      "networkInterfaces.*.subnetworkProject",
      "networkInterfaces.*.accessConfigs",
      "networkInterfaces.*.aliasIpRanges",
      "networkInterfaces.*.aliasIpv6Ranges",
      "networkInterfaces.*.stackType",
      "networkInterfaces.*.igmpQuery",
      "networkInterfaces.*.ipv6AccessConfigs",
      "networkInterfaces.*.internalIpv6PrefixLength",
      "networkInterfaces.*.ipv6Address",
      "networkInterfaces.*.securityPolicy",
      "scheduling",
      "canIpForward",
      "deletionProtection",
      "desiredStatus",
      "enableDisplay",
      "minCpuPlatform",
      "advancedMachineFeatures",
      "resourcePolicies",
      "workloadIdentityConfig",
      "deletionPolicy",
    ],
    notes: [
      "machineType, minCpuPlatform, serviceAccount, enableDisplay, shieldedInstanceConfig, scheduling.nodeAffinities, advancedMachineFeatures and networkInterfaces.*.network/subnetwork/subnetworkProject need the VM stopped: on a RUNNING instance the update fails unless allowStoppingForUpdate is true or desiredStatus is TERMINATED (Update's needToStopInstanceBeforeUpdating)",
      "metadata (incl. metadata.user-data) updates in place without a restart; cloud-init applies user-data once per instance, so a new user-data reaches only a new instance",
      "metadataStartupScript replaces on change (ForceNewIf) except a 'graceful switch' moving the same script between metadata.startup-script and metadataStartupScript",
      "networkInterfaces.*.networkIp replaces only when network/subnetwork stay the same; with a network/subnetwork change it updates (forceNewIfNetworkIPNotUpdatable)",
      "bootDisk: any change except autoDelete/interface/initializeParams.size/labels replaces the VM; initializeParams.size resizes the disk in place (grow only: the API refuses a shrink, no ForceNew)",
      "a change in the LENGTH of networkInterfaces replaces (list ForceNew); attachedDisks length changes attach/detach in place",
    ],
  },
  "gcp:projects/service:Service": {
    source: `${GCP_SRC}resourcemanager/resource_google_project_service.go; ${GCP_VERSION_NOTE}`,
    replaces: ["service", "project"],
    updates: [
      "disableOnDestroy",
      "disableDependentServices",
      "checkIfServiceHasUsageOnDestroy",
      "deletionPolicy",
    ],
    notes: [
      "the update flags only matter at destroy: state-only updates; replacing a Service (project/service change) disables the old API if disableOnDestroy",
    ],
  },
  "gcp:serviceaccount/account:Account": {
    source: `${GCP_SRC}resourcemanager/resource_google_service_account.go; ${GCP_VERSION_NOTE}`,
    replaces: ["accountId", "project"],
    updates: [
      "displayName",
      "description",
      "disabled",
      "createIgnoreAlreadyExists",
      "deletionPolicy",
    ],
    notes: [
      "an accountId change is a NEW service account (new email): every key and IAM member bound to it is replaced too",
    ],
  },
  "gcp:serviceaccount/key:Key": {
    source: `${GCP_SRC}resourcemanager/resource_google_service_account_key.go; ${GCP_VERSION_NOTE}`,
    replaces: [
      "serviceAccountId",
      "keyAlgorithm",
      "privateKeyType",
      "publicKeyType",
      "publicKeyData",
      "keepers",
    ],
    updates: ["deletionPolicy"],
    notes: ["keepers is ForceNew: any keepers change (e.g. a rotation window) issues a new key"],
  },
  "gcp:serviceaccount/iAMMember:IAMMember": {
    source: `${GCP_SRC}resourcemanager/iam_service_account.go (IamServiceAccountSchema) + google-beta/tpgiamresource/resource_iam_member.go (IamMemberBaseSchema, no Update); ${GCP_VERSION_NOTE}`,
    replaces: ["serviceAccountId", "role", "member", "condition"],
    updates: [],
    notes: ["IAM member resources have no Update: every change replaces (remove + add binding)"],
  },
  "gcp:artifactregistry/repository:Repository": {
    source: `${GCP_SRC}artifactregistry/resource_artifact_registry_repository.go; ${GCP_VERSION_NOTE}`,
    replaces: [
      "repositoryId",
      "location",
      "project",
      "format",
      "mode",
      "kmsKeyName",
      "remoteRepositoryConfig",
      "mavenConfig.allowSnapshotOverwrites",
      "mavenConfig.versionPolicy",
    ],
    updates: [
      "description",
      "labels",
      "cleanupPolicies",
      "cleanupPolicyDryRun",
      "dockerConfig",
      "vulnerabilityScanningConfig",
      "virtualRepositoryConfig",
      "mavenConfig",
      "remoteRepositoryConfig.disableUpstreamValidation",
      "remoteRepositoryConfig.upstreamCredentials",
      "deletionPolicy",
    ],
    notes: [
      "a replaced repository is a new EMPTY repository: every pushed image is gone",
      "dockerConfig.immutableTags updates in place",
    ],
  },
  "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": {
    source: `${GCP_SRC}artifactregistry/iam_artifact_registry_repository.go (ArtifactRegistryRepositoryIamSchema) + google-beta/tpgiamresource/resource_iam_member.go; ${GCP_VERSION_NOTE}`,
    replaces: ["repository", "location", "project", "role", "member", "condition"],
    updates: [],
    notes: ["no Update: every change replaces"],
  },
  "gcp:iam/workloadIdentityPool:WorkloadIdentityPool": {
    source: `${GCP_SRC}iambeta/resource_iam_workload_identity_pool.go; ${GCP_VERSION_NOTE}`,
    replaces: ["workloadIdentityPoolId", "project"],
    updates: [
      "displayName",
      "description",
      "disabled",
      "mode",
      "attestationRules",
      "inlineCertificateIssuanceConfig",
      "inlineTrustConfig",
      "deletionPolicy",
    ],
    notes: [
      "a deleted pool is soft-deleted for ~30 days and its id cannot be reused meanwhile, so a replace that keeps workloadIdentityPoolId fails (website/docs/r/iam_workload_identity_pool.html.markdown, state DELETED)",
    ],
  },
  "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider": {
    source: `${GCP_SRC}iambeta/resource_iam_workload_identity_pool_provider.go; ${GCP_VERSION_NOTE}`,
    replaces: ["workloadIdentityPoolId", "workloadIdentityPoolProviderId", "project"],
    updates: [
      "displayName",
      "description",
      "disabled",
      "attributeMapping",
      "attributeCondition",
      "oidc",
      "aws",
      "saml",
      "x509",
      "deletionPolicy",
    ],
    notes: [
      "soft-deleted providers keep their id ~30 days (website/docs/r/iam_workload_identity_pool_provider.html.markdown): a replace that keeps the id fails",
    ],
  },
  "gcp:pubsub/topic:Topic": {
    source: `${GCP_SRC}pubsub/resource_pubsub_topic.go; ${GCP_VERSION_NOTE}`,
    replaces: ["name", "project", "tags"],
    updates: [
      "labels",
      "kmsKeyName",
      "messageRetentionDuration",
      "messageStoragePolicy",
      "schemaSettings",
      "ingestionDataSourceSettings",
      "messageTransforms",
      "deletionPolicy",
    ],
  },
  "gcp:pubsub/subscription:Subscription": {
    source: `${GCP_SRC}pubsub/resource_pubsub_subscription.go; ${GCP_VERSION_NOTE}`,
    replaces: ["name", "project", "topic", "enableMessageOrdering", "filter", "tags"],
    updates: [
      "ackDeadlineSeconds",
      "labels",
      "messageRetentionDuration",
      "retainAckedMessages",
      "expirationPolicy",
      "deadLetterPolicy",
      "retryPolicy",
      "pushConfig",
      "bigqueryConfig",
      "cloudStorageConfig",
      "enableExactlyOnceDelivery",
      "messageTransforms",
      "deletionPolicy",
    ],
  },

  // --------------------------------------------------------------------------- kubernetes
  "kubernetes:core/v1:Namespace": k8sAllUpdate(
    "Namespace",
    ["metadata", "spec"],
    ["a replaced Namespace deletes everything in it"],
  ),
  "kubernetes:core/v1:ServiceAccount": k8sAllUpdate("ServiceAccount", [
    "metadata",
    "automountServiceAccountToken",
    "imagePullSecrets",
    "secrets",
  ]),
  "kubernetes:core/v1:ConfigMap": {
    source: `${K8S_SRC}: forceNewProperties adds .binaryData/.data when !enableConfigMapMutable || immutable; enableConfigMapMutable defaults to false (provider.go)`,
    replaces: [...K8S_IDENTITY, "data", "binaryData"],
    updates: ["metadata", "immutable"],
    notes: [
      K8S_IDENTITY_NOTE,
      "data/binaryData changes REPLACE by default (provider option enableConfigMapMutable / PULUMI_K8S_ENABLE_CONFIGMAP_MUTABLE=true makes them updates unless immutable: true)",
      "an auto-named ConfigMap is create-before-delete under a new name, so Pods referencing it roll; an explicitly named one is delete-before-replace",
    ],
  },
  "kubernetes:core/v1:Secret": {
    source: `${K8S_SRC}: forceNewProperties adds .type/.stringData/.data when !enableSecretMutable || immutable (else .type only); enableSecretMutable defaults to false (provider.go)`,
    replaces: [...K8S_IDENTITY, "type", "data", "stringData"],
    updates: ["metadata", "immutable"],
    notes: [
      K8S_IDENTITY_NOTE,
      "data/stringData changes REPLACE by default (enableSecretMutable / PULUMI_K8S_ENABLE_SECRET_MUTABLE=true makes them updates unless immutable: true); type always replaces",
    ],
  },
  "kubernetes:core/v1:PersistentVolumeClaim": {
    source: `${K8S_SRC}: core/v1 PersistentVolumeClaim = .spec.accessModes, .spec.selector, .spec.storageClassName, .spec.volumeName`,
    replaces: [
      ...K8S_IDENTITY,
      "spec.accessModes",
      "spec.selector",
      "spec.storageClassName",
      "spec.volumeName",
    ],
    updates: ["metadata", "spec"],
    notes: [
      K8S_IDENTITY_NOTE,
      "spec.resources.requests.storage is planned as an update; Kubernetes API validation only lets it grow (StorageClass allowVolumeExpansion), so a shrink fails at apply",
      "other spec fields (volumeMode, dataSource, ...) are planned as updates by Pulumi but the API treats a bound claim's spec as immutable: such an update fails at apply",
      "a replaced PVC is a new empty volume (data lost)",
    ],
  },
  "kubernetes:core/v1:Service": {
    source: `${K8S_SRC}: core/v1 Service = .spec.clusterIP`,
    replaces: [...K8S_IDENTITY, "spec.clusterIP"],
    updates: ["metadata", "spec"],
    notes: [
      K8S_IDENTITY_NOTE,
      "spec.type, ports (incl. nodePort) and selector update in place; only spec.clusterIP replaces",
    ],
  },
  "kubernetes:apps/v1:Deployment": {
    source: `${K8S_SRC}: apps/v1 Deployment = .spec.selector (+ matchLabels/matchExpressions)`,
    replaces: [...K8S_IDENTITY, "spec.selector"],
    updates: ["metadata", "spec"],
    notes: [
      K8S_IDENTITY_NOTE,
      "spec.template changes update in place and roll the Pods per spec.strategy (Recreate: all Pods down first)",
    ],
  },
  "kubernetes:batch/v1:CronJob": k8sAllUpdate(
    "CronJob",
    ["metadata", "spec"],
    [
      "the Job kind has forceNew fields (.spec.template, .spec.selector, ...) but CronJob has none: jobTemplate changes update",
    ],
  ),
  "kubernetes:rbac.authorization.k8s.io/v1:Role": k8sAllUpdate("Role", ["metadata", "rules"]),
  "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": {
    source: `${K8S_SRC}: rbac.authorization.k8s.io/v1 RoleBinding = .roleRef`,
    replaces: [...K8S_IDENTITY, "roleRef"],
    updates: ["metadata", "subjects"],
    notes: [K8S_IDENTITY_NOTE, "roleRef is immutable in the API: any change replaces"],
  },
  "kubernetes:policy/v1:PodDisruptionBudget": k8sAllUpdate(
    "policy/v1 PodDisruptionBudget",
    ["metadata", "spec"],
    [
      "only policy/v1beta1 PodDisruptionBudget is in the table (whole .spec replaces); policy/v1 spec updates in place",
    ],
  ),
  "kubernetes:networking.k8s.io/v1:Ingress": k8sAllUpdate("Ingress", ["metadata", "spec"]),
  "kubernetes:cert-manager.io/v1:Certificate": k8sAllUpdate(
    "cert-manager Certificate (CustomResource)",
    ["metadata", "spec"],
    ["CustomResources only get the identity rule; cert-manager itself re-issues on spec changes"],
  ),
  "kubernetes:cert-manager.io/v1:Issuer": k8sAllUpdate("cert-manager Issuer (CustomResource)", [
    "metadata",
    "spec",
  ]),
  "kubernetes:cert-manager.io/v1:ClusterIssuer": k8sAllUpdate(
    "cert-manager ClusterIssuer (CustomResource)",
    ["metadata", "spec"],
    ["cluster-scoped: metadata.namespace is cleared by the provider"],
  ),
};
