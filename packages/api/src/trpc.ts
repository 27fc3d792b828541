import { initTRPC, TRPCError } from "@trpc/server";
import { ZodError } from "zod";
import type { ApiServices } from "./services";

export interface Context {
  /** What the caller's credentials allow; both true when no tokens are configured. */
  readonly auth: {
    readonly read: boolean;
    readonly ingest: boolean;
    /** Read access comes from a short-lived ticket alone (not a token, not an open server): no new tickets. */
    readonly ticketOnly?: boolean;
  };
  /** Rate-limit key of the caller: the ingest token's identity, or the peer address. */
  readonly clientKey: string;
  readonly services: ApiServices;
}

/** "points[2].value: value must be a finite number (no NaN or Infinity)" — one line per issue. */
export function describeZodError(error: ZodError): string {
  return error.issues
    .slice(0, 10)
    .map((issue) => {
      const path = issue.path.reduce<string>(
        (acc, part) => (typeof part === "number" ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)),
        "",
      );
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join("; ");
}

const t = initTRPC.context<Context>().create({
  // Never send stack traces to clients, whatever NODE_ENV says.
  isDev: false,
  errorFormatter({ shape, error }) {
    const zodError = error.cause instanceof ZodError ? error.cause : null;
    // An error nobody turned into a TRPCError may carry a backend's raw text (a Redis address, a
    // file path): the caller gets a fixed message; the server logs the real one (its onError).
    const internal = error.code === "INTERNAL_SERVER_ERROR";
    return {
      ...shape,
      message: zodError ? describeZodError(zodError) : internal ? "internal server error" : shape.message,
      data: { ...shape.data, zodError: zodError ? zodError.flatten() : null },
    };
  },
});

export const router = t.router;
export const publicProcedure = t.procedure;

export const readProcedure = t.procedure.use(({ ctx, next }) => {
  if (!ctx.auth.read) throw new TRPCError({ code: "UNAUTHORIZED", message: "a valid read token is required" });
  return next();
});

export const ingestProcedure = t.procedure.use(({ ctx, next }) => {
  if (!ctx.auth.ingest) throw new TRPCError({ code: "UNAUTHORIZED", message: "a valid ingest token is required" });
  return next();
});
