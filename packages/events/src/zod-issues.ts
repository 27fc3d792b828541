/** The part of a zod issue the formatters read (zod 4's $ZodIssue has it; so do hand-made issues). */
export interface IssueLike {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** `points[2].value` from `["points", 2, "value"]`; "" for the root. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

/**
 * One line for people: "points[2].value: value must be a finite number; series: ..." — each issue
 * names its field. At most `maxIssues` issues, so a hostile input cannot make the message huge.
 */
export function formatZodIssues(error: { readonly issues: readonly IssueLike[] }, maxIssues = 10): string {
  return error.issues
    .slice(0, maxIssues)
    .map((issue) => {
      const path = formatIssuePath(issue.path);
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join("; ");
}
