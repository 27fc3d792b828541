import { parseArgs } from "node:util";
import { z } from "zod";

/** An integer flag with its bounds, each error naming the flag. */
export const intFlag = (/** @type {string} */ name, /** @type {number} */ min, /** @type {number} */ max) =>
  z.coerce.number({ error: `--${name} must be a number` }).int(`--${name} must be an integer`)
    .min(min, `--${name} must be at least ${min}`).max(max, `--${name} must be at most ${max}`);

/**
 * node:util parseArgs, then --help, then the zod schema: exits 2 with the messages (each naming its
 * flag) and the help on bad input, 0 after printing the help.
 * @template {z.ZodTypeAny} S
 * @param {string[]} argv
 * @param {import("node:util").ParseArgsConfig["options"]} options
 * @param {string} help
 * @param {(values: Record<string, any>) => unknown} toInput maps parsed flag values to the schema's input
 * @param {S} schema
 * @returns {z.infer<S>}
 */
export function parseFlags(argv, options, help, toInput, schema) {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { ...options, help: { type: "boolean", default: false } } }));
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : error}\n\n${help}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(help);
    process.exit(0);
  }
  const parsed = schema.safeParse(toInput(values));
  if (!parsed.success) {
    console.error(`${parsed.error.issues.map((i) => i.message).join("\n")}\n\n${help}`);
    process.exit(2);
  }
  return parsed.data;
}
