/** The audit's needles: every private part of a key, never its public part. */
import { generateKeyPairSync } from "node:crypto";
import { needles } from "./support/secretScan";

test("an EC private key's needles cover its private lines and none of its public key", () => {
  for (let i = 0; i < 20; i++) {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const found = needles(pem);
    const body = pem.split("\n").filter((l) => l && !l.startsWith("-----"));
    expect(found).toContain(pem);
    expect(found).toContain(body[0]); // the line holding the private scalar
    // Whatever base64 alignment, the public key's encodings contain no needle.
    const der = publicKey.export({ type: "spki", format: "der" });
    for (const shift of [0, 1, 2]) {
      const b64 = der.subarray(shift).toString("base64");
      expect(found.filter((n) => b64.includes(n))).toEqual([]);
    }
  }
});
