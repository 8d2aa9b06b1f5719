/** Policy 5: nothing below TLS 1.2, in nginx configs and the registry's own TLS. */
import { allTexts, envVars, nginxWeakTls, registryConfigs, registryWeakTls } from "./inspect";
import { resourceRule } from "./rules";

// ---- 5. Nothing below TLS 1.2 -------------------------------------------------------------

export const tlsMinimum12 = resourceRule(
  {
    name: "tls-minimum-1-2",
    description:
      "TLS configs allow nothing below TLS 1.2: nginx ssl_protocols (wherever an nginx config is shipped: remote commands, uploads, ConfigMaps, user-data) and the registry's http.tls.minimumtls.",
    severity: "high",
    tags: ["tls", "nginx", "registry"],
  },
  (r, report) => {
    const texts = allTexts(r.props);
    const problems = new Set<string>();
    for (const text of texts)
      for (const p of nginxWeakTls(text)) problems.add(`nginx config: ${p}`);
    for (const config of registryConfigs(r.props)) {
      const weak = registryWeakTls(config);
      if (weak)
        problems.add(`registry config: http.tls.minimumtls is ${weak} (use tls1.2 or tls1.3)`);
    }
    for (const e of envVars(r.props))
      if (e.name === "REGISTRY_HTTP_TLS_MINIMUMTLS" && e.value && !/^tls1\.[23]$/i.test(e.value))
        problems.add(`REGISTRY_HTTP_TLS_MINIMUMTLS is ${e.value} (use tls1.2 or tls1.3)`);
    for (const p of problems) report(p);
  },
);
