import { alertsRouter } from "./router/alerts";
import { authRouter } from "./router/auth";
import { hostsRouter } from "./router/hosts";
import { metricsRouter } from "./router/metrics";
import { systemRouter } from "./router/system";
import { router } from "./trpc";

export const appRouter = router({
  metrics: metricsRouter,
  system: systemRouter,
  auth: authRouter,
  alerts: alertsRouter,
  hosts: hostsRouter,
});

export type AppRouter = typeof appRouter;
