/** Writes `<outDir>/index.d.ts` and `<outDir>/node.d.ts` (default dist/) and returns their paths. */
export function buildDeclarations(outDir?: string): Promise<string[]>;
/** The first module reference in a bundle that a consumer of the published client could not resolve. */
export function findLeak(text: string): string | null;
