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

  // Attack review: /login?next=/%E3%80%80/x while signed in answered 500 (ERR_INVALID_CHAR: a raw
  // non-ASCII character in the Location header).
  it("percent-encodes non-ASCII characters, so the redirect's Location header is valid", () => {
    expect(safeNextPath("/\u3000/x?host=\u00e9")).toBe("/%E3%80%80/x?host=%C3%A9");
    expect(safeNextPath("/hosts?h=\u{1F600}")).toBe("/hosts?h=%F0%9F%98%80");
    expect(/^[\x20-\x7e]*$/.test(safeNextPath("/\u00e9\u3000\u{1F600}"))).toBe(true);
  });

  it.each(["/\ud800x", "/x\u007f"])("refuses %j (a lone surrogate or DEL cannot be a Location)", (raw) => {
    expect(safeNextPath(raw)).toBe("/");
  });

  it("rebuilds a page's path with its query", () => {
    expect(pagePath("/", { charts: ["a", "b"], transport: "poll", none: undefined })).toBe("/?charts=a&charts=b&transport=poll");
    expect(pagePath("/transports", {})).toBe("/transports");
  });
});
