/**
 * The Kubernetes backend: the CNCF distribution registry as a Deployment behind a
 * NodePort Service, so every node answers on 127.0.0.1:<nodePort> (Docker trusts
 * 127.0.0.0/8 without TLS). The objects come from the pure renderers in
 * plan.ts; this component only turns them into resources.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import {
  createCredentials,
  selfHostedEndpoint,
  type RegistryCredentials,
} from "../shared/credentials";
import {
  type GeneratedFile,
  type RegistryBackend,
  type RegistryEndpoint,
} from "../shared/contract";
import { registrySecretEnv } from "../shared/registryConfig";
import { selfHostedSecretEnv } from "../shared/selfHostedConfig";
import type { GarbageCollectionManifests } from "./garbageCollection";
import { manifestList, registryConfigYaml, renderManifests } from "./plan";
import { contentChecksum, secretValueNames, type RegistrySecretValues } from "./secretValues";
import type { KubernetesSettings } from "./settings";
import { hostWithPort } from "../shared/hostPort";
import { createSelfSignedTls } from "../shared/selfSignedTls";
import { writesTlsSecret, type TlsSecretValues } from "./tls";
import { DEFAULT_HOST, tlsServerNames } from "./tlsSettings";

export interface KubernetesRegistryArgs {
  settings: KubernetesSettings;
}

export { DEFAULT_HOST };

export class KubernetesRegistry extends pulumi.ComponentResource implements RegistryBackend {
  readonly endpoint: RegistryEndpoint;
  readonly files: GeneratedFile[];

  constructor(name: string, args: KubernetesRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("registry:kubernetes:Registry", name, {}, opts);
    const s = args.settings;
    const credentials = createCredentials(name, s.auth, { parent: this });
    const secretValues = collectSecretValues(s, credentials);

    // The checksum only tells pods to roll; a SHA-256 over values that include the
    // 48-character random http secret reveals none of them, so it may stay in clear
    // (as Helm charts' checksum/secret annotations do) and keep the diff readable.
    // The TLS Secret this program writes counts too: a renewed certificate rolls the pods,
    // the only way the registry serves it (it reads its certificate once, at start).
    const { tls, caCert } = this.serverTls(name, s);
    const configYaml = registryConfigYaml(s);
    const hashed = {
      ...secretValues,
      ...(tls ? { "tls.crt": tls.certificate, "tls.key": tls.key } : {}),
    };
    const checksum = pulumi.unsecret(
      pulumi.all(hashed).apply((values) => contentChecksum(configYaml, values)),
    );
    const m = renderManifests({ instance: name, settings: s, secretValues, checksum, tls });

    const namespace = m.namespace
      ? new k8s.core.v1.Namespace(`${name}-namespace`, m.namespace, { parent: this })
      : undefined;
    const inNamespace: pulumi.CustomResourceOptions = {
      parent: this,
      dependsOn: namespace ? [namespace] : [],
    };

    const configMap = new k8s.core.v1.ConfigMap(`${name}-config`, m.configMap, inNamespace);
    const secret = new k8s.core.v1.Secret(`${name}-secrets`, m.secret, inNamespace);
    const tlsSecret = m.tlsSecret
      ? new k8s.core.v1.Secret(`${name}-tls`, m.tlsSecret, inNamespace)
      : undefined;
    const certificate = m.certificate
      ? new k8s.apiextensions.CustomResource(`${name}-certificate`, m.certificate, inNamespace)
      : undefined;
    const claim = m.persistentVolumeClaim
      ? new k8s.core.v1.PersistentVolumeClaim(`${name}-data`, m.persistentVolumeClaim, inNamespace)
      : undefined;
    const serviceAccount = new k8s.core.v1.ServiceAccount(
      `${name}-server`,
      m.serviceAccount,
      inNamespace,
    );
    const deployment = new k8s.apps.v1.Deployment(`${name}`, m.deployment, {
      parent: this,
      dependsOn: [
        ...(namespace ? [namespace] : []),
        serviceAccount,
        configMap,
        secret,
        ...(tlsSecret ? [tlsSecret] : []),
        ...(certificate ? [certificate] : []),
        ...(claim ? [claim] : []),
      ],
    });
    const service = new k8s.core.v1.Service(`${name}-service`, m.service, inNamespace);
    if (m.metrics) new k8s.core.v1.Service(`${name}-metrics`, m.metrics.service, inNamespace);
    if (m.metrics?.serviceMonitor)
      new k8s.apiextensions.CustomResource(
        `${name}-servicemonitor`,
        m.metrics.serviceMonitor,
        inNamespace,
      );
    if (m.podDisruptionBudget)
      new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, m.podDisruptionBudget, inNamespace);

    if (m.garbageCollection)
      this.garbageCollection(name, m.garbageCollection, inNamespace, [
        deployment,
        configMap,
        secret,
      ]);

    // A fixed port is known at preview; otherwise the cluster allocates one at create.
    const host = s.advertiseHost ?? DEFAULT_HOST;
    const registry =
      s.nodePort !== undefined
        ? pulumi.output(hostWithPort(host, s.nodePort, true))
        : service.spec.apply((spec) => hostWithPort(host, spec.ports[0].nodePort, true));

    this.endpoint = selfHostedEndpoint({
      registry,
      credentials,
      caCert,
      mirror: s.proxy && { https: s.tls.mode !== "none" },
    });
    this.files = [{ path: "kubernetes/manifests.yaml", yamlDocuments: manifestList(m) }];
    this.registerOutputs({ registry, namespace: s.namespace });
  }

  /** The CronJob and its account: after the registry's objects, as it patches them. */
  private garbageCollection(
    name: string,
    gc: GarbageCollectionManifests,
    inNamespace: pulumi.CustomResourceOptions,
    registry: pulumi.Resource[],
  ): void {
    const serviceAccount = new k8s.core.v1.ServiceAccount(
      `${name}-gc`,
      gc.serviceAccount,
      inNamespace,
    );
    const role = new k8s.rbac.v1.Role(`${name}-gc`, gc.role, inNamespace);
    const binding = new k8s.rbac.v1.RoleBinding(`${name}-gc`, gc.roleBinding, {
      parent: this,
      dependsOn: [role, serviceAccount],
    });
    new k8s.batch.v1.CronJob(`${name}-gc`, gc.cronJob, {
      parent: this,
      dependsOn: [binding, ...registry],
    });
  }

  /**
   * The certificate and key this program puts in the TLS Secret (selfSigned: made here
   * with the shared lifetimes; provided: as given), and the CA clients must trust.
   */
  private serverTls(
    name: string,
    s: KubernetesSettings,
  ): { tls?: TlsSecretValues; caCert: pulumi.Output<string> } {
    const t = s.tls;
    if (t.mode === "selfSigned") {
      const made = createSelfSignedTls(
        name,
        {
          serverNames: tlsServerNames(s),
          caCommonName: `registry CA (${pulumi.getStack()})`,
        },
        { parent: this },
      );
      return {
        tls: { certificate: made.certificatePem, key: made.privateKeyPem },
        caCert: made.caCertPem,
      };
    }
    const caCert = pulumi.output(
      t.mode === "provided" || t.mode === "certManager" ? (t.caCertificate ?? "") : "",
    );
    if (t.mode === "provided" && writesTlsSecret(s))
      return {
        tls: { certificate: t.certificate!, key: pulumi.secret(t.key!) },
        caCert,
      };
    return { caCert };
  }
}

/**
 * The secret values these settings need, each a Pulumi secret. Those the registry reads
 * by env hold the text the container's env must receive (registrySecretEnvVars: a YAML
 * string, since the registry parses REGISTRY_* values as YAML).
 */
function collectSecretValues(
  s: KubernetesSettings,
  credentials: RegistryCredentials,
): RegistrySecretValues {
  const env = selfHostedSecretEnv(s, credentials.httpSecret);
  const envValue = (name: string) => pulumi.secret(env.apply((e) => e[name] ?? ""));
  const all: Required<RegistrySecretValues> = {
    httpSecret: envValue(registrySecretEnv.httpSecret),
    htpasswd: credentials.htpasswd,
    s3AccessKey: envValue(registrySecretEnv.s3AccessKey),
    s3SecretKey: envValue(registrySecretEnv.s3SecretKey),
    proxyPassword: envValue(registrySecretEnv.proxyPassword),
    gcsKeyJson: pulumi.secret(s.storage.gcs?.keyJson ?? ""),
    notificationEndpoints: envValue(registrySecretEnv.notificationEndpoints),
  };
  const values: RegistrySecretValues = { httpSecret: all.httpSecret };
  for (const n of secretValueNames(s)) values[n] = all[n];
  return values;
}
