import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const RESULTS_DIR = fileURLToPath(new URL("../results/", import.meta.url));

/**
 * Figures a scenario measured (never asserted as speed): printed, and written to
 * test/reliability/results/<scenario>.json (gitignored) for docs/reliability.md.
 */
export function reportResult(scenario: string, figures: Record<string, unknown>) {
  const record = { scenario, at: new Date().toISOString(), node: process.version, ...figures };
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(`${RESULTS_DIR}${scenario}.json`, `${JSON.stringify(record, null, 2)}\n`);
  console.log(`[reliability] ${scenario}: ${JSON.stringify(figures)}`);
}
