import { coversWholeFamily } from "./cidrCoverage";
import { parseCidr } from "./fields";

const blocks = (...v: string[]) => v.map((x) => parseCidr(x)!);

describe("coversWholeFamily", () => {
  test.each([
    [["0.0.0.0/0"], 4, true],
    [["0.0.0.0/1", "128.0.0.0/1"], 4, true],
    [["128.0.0.0/1", "0.0.0.0/2", "64.0.0.0/2"], 4, true],
    // A host address inside a /1 names the same block.
    [["10.1.2.3/1", "200.0.0.1/1"], 4, true],
    [["0.0.0.0/1", "128.0.0.0/2"], 4, false],
    [["0.0.0.0/1", "192.0.0.0/2"], 4, false],
    [["198.51.100.0/24", "203.0.113.0/24"], 4, false],
    [["::/1", "8000::/1"], 6, true],
    [["::/0"], 6, true],
    [["::/1", "8000::/2", "c000::/2"], 6, true],
    [["::/1", "8000::/2"], 6, false],
    [["::ffff:0.0.0.0/1", "8000::/1"], 6, true],
    // The other family's blocks do not count.
    [["0.0.0.0/1", "128.0.0.0/1"], 6, false],
    [["::/1", "8000::/1"], 4, false],
  ])("%j, IPv%d: %s", (ranges, family, covered) => {
    expect(coversWholeFamily(blocks(...(ranges as string[])), family as 4 | 6)).toBe(covered);
  });
});
