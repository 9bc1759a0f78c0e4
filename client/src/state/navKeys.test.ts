import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { navMove } from "./navKeys.js";

describe("navMove", () => {
  test("arrows move one, Home and End to the ends, pages by the page size, clamped", () => {
    assert.deepEqual(navMove("ArrowUp", 3, 10, 5, false), { index: 2, older: false });
    assert.deepEqual(navMove("ArrowDown", 3, 10, 5, false), { index: 4, older: false });
    assert.deepEqual(navMove("ArrowDown", 9, 10, 5, false), { index: 9, older: false });
    assert.deepEqual(navMove("Home", 6, 10, 5, false), { index: 0, older: false });
    assert.deepEqual(navMove("End", 2, 10, 5, false), { index: 9, older: false });
    assert.deepEqual(navMove("PageUp", 7, 10, 5, false), { index: 2, older: false });
    assert.deepEqual(navMove("PageUp", 3, 10, 5, false), { index: 0, older: false });
    assert.deepEqual(navMove("PageDown", 7, 10, 5, false), { index: 9, older: false });
    assert.deepEqual(navMove("PageDown", 0, 10, 0, false), { index: 1, older: false }, "a page is at least one");
  });

  test("past the first loaded message it asks for older ones when there are some", () => {
    assert.deepEqual(navMove("ArrowUp", 0, 10, 5, true), { index: 0, older: true });
    assert.deepEqual(navMove("Home", 0, 10, 5, true), { index: 0, older: true });
    assert.deepEqual(navMove("PageUp", 0, 10, 5, true), { index: 0, older: true });
    assert.deepEqual(navMove("ArrowUp", 0, 10, 5, false), { index: 0, older: false });
    assert.deepEqual(navMove("Home", 4, 10, 5, true), { index: 0, older: false }, "Home first goes to the first loaded");
  });

  test("other keys and an empty list do nothing; an index out of range is clamped", () => {
    assert.equal(navMove("Enter", 0, 10, 5, true), undefined);
    assert.equal(navMove("ArrowUp", 0, 0, 5, true), undefined);
    assert.deepEqual(navMove("ArrowUp", 40, 10, 5, false), { index: 8, older: false });
    assert.deepEqual(navMove("ArrowDown", -1, 10, 5, false), { index: 1, older: false });
  });
});
