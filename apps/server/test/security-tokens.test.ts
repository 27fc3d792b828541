import { describe, expect, it } from "vitest";
import { createTicketIssuer, extractBearer, redact, tokensEqual } from "../src/security/tokens";

describe("extractBearer", () => {
  it.each([
    ["Bearer abc", "abc"],
    ["bearer abc", "abc"],
    ["BEARER  abc.def-_~+/= ", "abc.def-_~+/="],
  ])("%j -> %j", (header, token) => expect(extractBearer(header)).toBe(token));

  it.each([undefined, null, "", "Bearer", "Bearer ", "Basic abc", "Bearer a b", "abc"])("%j -> undefined", (header) => {
    expect(extractBearer(header)).toBeUndefined();
  });
});

describe("tokensEqual", () => {
  it("compares exactly, whatever the lengths", () => {
    expect(tokensEqual("secret", "secret")).toBe(true);
    expect(tokensEqual("secret", "secreT")).toBe(false);
    expect(tokensEqual("secret", "secret2")).toBe(false);
    expect(tokensEqual("", "x")).toBe(false);
    expect(tokensEqual("ünïcode", "ünïcode")).toBe(true);
  });
});

describe("createTicketIssuer", () => {
  function clock(startMs = 1_000_000) {
    const state = { nowMs: startMs };
    return { state, now: () => state.nowMs };
  }

  it("issues 32-byte base64url tickets that verify until they expire", () => {
    const { state, now } = clock();
    const issuer = createTicketIssuer({ ttlMs: 60_000, now });
    const { ticket, expiresAt } = issuer.issue("read");
    expect(ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(ticket, "base64url")).toHaveLength(32);
    expect(expiresAt).toBe(state.nowMs + 60_000);
    expect(issuer.verify(ticket)).toBe(true);
    expect(issuer.verify(ticket)).toBe(true); // reusable while valid: EventSource reconnects reuse the URL
    state.nowMs += 59_999;
    expect(issuer.verify(ticket)).toBe(true);
    state.nowMs += 1;
    expect(issuer.verify(ticket)).toBe(false);
    expect(issuer.size()).toBe(0);
  });

  it("defaults the scope and ttl", () => {
    const { state, now } = clock();
    const { expiresAt } = createTicketIssuer({ now }).issue();
    expect(expiresAt - state.nowMs).toBe(60_000);
  });

  it("tickets are unique and unknown ones fail", () => {
    const issuer = createTicketIssuer();
    const seen = new Set(Array.from({ length: 100 }, () => issuer.issue().ticket));
    expect(seen.size).toBe(100);
    expect(issuer.verify("A".repeat(43))).toBe(false);
    expect(issuer.verify("")).toBe(false);
    expect(issuer.verify("not a ticket")).toBe(false);
    expect(issuer.verify(undefined as unknown as string)).toBe(false);
  });

  it("keeps memory bounded: beyond maxTickets the oldest is forgotten", () => {
    const { state, now } = clock();
    const issuer = createTicketIssuer({ maxTickets: 3, now });
    const tickets = Array.from({ length: 5 }, () => {
      state.nowMs += 1;
      return issuer.issue().ticket;
    });
    expect(issuer.size()).toBe(3);
    expect(tickets.map((t) => issuer.verify(t))).toEqual([false, false, true, true, true]);
  });

  it("prunes expired tickets on issue", () => {
    const { state, now } = clock();
    const issuer = createTicketIssuer({ ttlMs: 10, now });
    for (let i = 0; i < 100; i += 1) {
      state.nowMs += 5;
      issuer.issue();
    }
    expect(issuer.size()).toBeLessThanOrEqual(2);
  });
});

describe("redact", () => {
  it("removes bearer tokens, token/ticket query values and JSON fields", () => {
    expect(redact("GET /sse?series=a&ticket=abc123 Authorization: Bearer s3cr3t")).toBe(
      "GET /sse?series=a&ticket=[redacted] Authorization: Bearer [redacted]",
    );
    expect(redact('/trpc/x?connectionParams={"token":"t"}&input=1')).toBe("/trpc/x?connectionParams=[redacted]&input=1");
    expect(redact('{"token":"abc","other":1}')).toBe('{"token":"[redacted]","other":1}');
  });

  it("removes configured secrets anywhere", () => {
    expect(redact("failed with key hunter2 twice: hunter2", ["hunter2", ""])).toBe("failed with key [redacted] twice: [redacted]");
  });
});
