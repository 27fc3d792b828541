import { authRouter } from "./auth";
import { metricsRouter } from "./metrics";
import { systemRouter } from "./system";
import { router } from "./trpc";

export const appRouter = router({
  metrics: metricsRouter,
  system: systemRouter,
  auth: authRouter,
});

export type AppRouter = typeof appRouter;
