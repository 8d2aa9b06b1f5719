/**
 * The htpasswd renderer: bcrypt at the cost asked for, checked by Apache's htpasswd
 * (an independent bcrypt), and refusing what the registry could not read.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describeWithTools, tool } from "../../tests/support/tools";
import { renderHtpasswd } from "./htpasswd";

const SALT = "Q9bX2mP4kL7nR1sT5vW8yZ";
const PASSWORD = "aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF";

test("the cost is the one asked for, two digits; 10 when none is given", () => {
  const line = (cost?: number) =>
    renderHtpasswd([{ username: "ci", password: PASSWORD, salt: SALT, cost }]);
  expect(line(4)).toMatch(/^ci:\$2y\$04\$Q9bX2mP4kL7nR1sT5vW8y[./A-Za-z0-9]{32}\n$/);
  expect(line(12)).toMatch(/^ci:\$2y\$12\$/);
  expect(line()).toMatch(/^ci:\$2y\$10\$/);
  expect(line(4)).not.toBe(line(5));
});

test.each([3, 32, 4.5, Number.NaN])("cost %p is refused", (cost) => {
  expect(() => renderHtpasswd([{ username: "ci", password: PASSWORD, salt: SALT, cost }])).toThrow(
    /bcrypt cost must be an integer from 4 to 31/,
  );
});

describeWithTools("Apache's htpasswd verifies each cost", ["htpasswd"], () => {
  test.each([4, 10])("cost %d", (cost) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "htpasswd-cost-"));
    try {
      const file = path.join(dir, "htpasswd");
      fs.writeFileSync(
        file,
        renderHtpasswd([{ username: "ci", password: PASSWORD, salt: SALT, cost }]),
      );
      const verify = (pw: string) =>
        spawnSync(tool("htpasswd"), ["-vb", file, "ci", pw], { encoding: "utf8" }).status;
      expect(verify(PASSWORD)).toBe(0);
      expect(verify(`${PASSWORD}x`)).not.toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
