import { hostWithPort } from "./hostPort";

test.each([
  ["::1", 5000, false, "[::1]:5000"],
  ["fd00::1", 30500, false, "[fd00::1]:30500"],
  ["127.0.0.1", 30500, false, "127.0.0.1:30500"],
  ["registry.example.com", 443, false, "registry.example.com"],
  ["2001:db8::7", 443, false, "[2001:db8::7]"],
  ["registry.example.com", 443, true, "registry.example.com:443"],
  ["localhost", 5000, false, "localhost:5000"],
] as const)("%s port %d (always %s) → %s", (host, port, always, expected) => {
  expect(hostWithPort(host, port, always)).toBe(expected);
});
