/** What @pulumi/random computes, for every backend (the @pulumi/tls mocks are in vm.ts). */
import { afterDeploy } from "../../components/shared/contract";
import { ALNUM, seeded, type MockTable } from "./types";

function randomText(inputs: Record<string, unknown>, name: string): string {
  const length = Number(inputs.length ?? 16);
  const alphabet = inputs.special === false ? ALNUM : `${ALNUM}!#$%&*()-_=+[]{}<>:?`;
  return seeded(name, length, alphabet);
}

export const sharedMocks: MockTable = {
  "random:index/randomPassword:RandomPassword": ({ inputs, name }, mode) => ({
    result:
      mode === "render" ? afterDeploy(`generated password ${name}`) : randomText(inputs, name),
  }),
  // Salts and ids: a value of the right shape keeps downstream renderers honest.
  "random:index/randomString:RandomString": ({ inputs, name }) => ({
    result: randomText(inputs, name),
  }),
  "random:index/randomId:RandomId": ({ name }) => ({ hex: seeded(name, 8, "0123456789abcdef") }),
};
