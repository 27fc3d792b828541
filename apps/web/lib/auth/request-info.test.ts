import { describe, expect, it } from "vitest";
import { clientAddress, isHttps, isSameOrigin } from "./request-info";

const headers = (values: Record<string, string>) => new Headers(values);

describe("request facts sign-in relies on", () => {
  it("same-origin check: Origin must name this host (x-forwarded-host first, as Next's Server Actions check)", () => {
    expect(isSameOrigin(headers({ origin: "http://127.0.0.1:3000", host: "127.0.0.1:3000" }))).toBe(true);
    expect(isSameOrigin(headers({ origin: "https://dash.example.com", host: "127.0.0.1:3000", "x-forwarded-host": "dash.example.com" }))).toBe(true);
    expect(isSameOrigin(headers({ origin: "http://evil.example", host: "127.0.0.1:3000" }))).toBe(false);
    expect(isSameOrigin(headers({ origin: "http://127.0.0.1:3001", host: "127.0.0.1:3000" }))).toBe(false);
    expect(isSameOrigin(headers({ host: "127.0.0.1:3000" }))).toBe(false);
    expect(isSameOrigin(headers({ origin: "null", host: "127.0.0.1:3000" }))).toBe(false);
    expect(isSameOrigin(headers({ origin: "not a url", host: "127.0.0.1:3000" }))).toBe(false);
  });

  it("client address: the last X-Forwarded-For entry (what the nearest proxy saw), bounded", () => {
    expect(clientAddress(headers({ "x-forwarded-for": "10.0.0.9, 203.0.113.7" }))).toBe("203.0.113.7");
    expect(clientAddress(headers({}))).toBe("unknown");
    expect(clientAddress(headers({ "x-forwarded-for": "x".repeat(500) })).length).toBe(64);
  });

  it("https from X-Forwarded-Proto (Next sets it from the socket when no proxy did)", () => {
    expect(isHttps(headers({ "x-forwarded-proto": "https" }))).toBe(true);
    expect(isHttps(headers({ "x-forwarded-proto": "http" }))).toBe(false);
    expect(isHttps(headers({}))).toBe(false);
  });
});
