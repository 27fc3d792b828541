import { describe, expect, it } from "vitest";
import { loginPath, pagePath, safeNextPath } from "./login-path";

describe("where sign-in sends the user back to", () => {
  it("keeps a path on this site", () => {
    expect(safeNextPath("/?charts=a.b&transport=sse")).toBe("/?charts=a.b&transport=sse");
    expect(loginPath("/hosts?x=1")).toBe("/login?next=%2Fhosts%3Fx%3D1");
  });

  it.each(["//evil.example/", "/\\evil.example", "https://evil.example/", "javascript:alert(1)", "", "/\u0000x", "x"])("refuses %j (open redirect)", (raw) => {
    expect(safeNextPath(raw)).toBe("/");
  });

  it("rebuilds a page's path with its query", () => {
    expect(pagePath("/", { charts: ["a", "b"], transport: "poll", none: undefined })).toBe("/?charts=a&charts=b&transport=poll");
    expect(pagePath("/transports", {})).toBe("/transports");
  });
});
