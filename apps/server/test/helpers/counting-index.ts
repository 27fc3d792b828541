import { compileSelector } from "@livedash/events";
import { createPatternIndex } from "../../src/live/pattern-index";
import type { PatternIndexOptions } from "../../src/live/pattern-index";

/** A pattern index whose compile hook counts every matcher invocation (one selector tested against one series key). */
export function countingIndex(options: PatternIndexOptions = {}) {
  const counter = { tests: 0 };
  const index = createPatternIndex({
    ...options,
    compile: (selector) => {
      const test = compileSelector(selector);
      return (key) => {
        counter.tests++;
        return test(key);
      };
    },
  });
  return { index, counter };
}
