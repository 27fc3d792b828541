import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** Workspace source (not tests, scripts or benchmarks): where the layering rules hold. */
const PACKAGE_SOURCE = ["packages/*/src/**/*.{ts,tsx}"];
const APP_SOURCE = ["apps/server/src/**/*.ts", "apps/web/app/**/*.{ts,tsx}", "apps/web/components/**/*.{ts,tsx}", "apps/web/lib/**/*.{ts,tsx}", "apps/web/proxy.ts", "apps/web/instrumentation.ts"];
const TESTS = ["**/test/**/*.{ts,tsx}", "**/*.test.{ts,tsx}", "apps/web/e2e/**/*.ts"];

export default tseslint.config(
  { ignores: ["**/node_modules/**", "**/dist/**", "**/.next/**", "**/.turbo/**", "**/.tmp/**", "**/next-env.d.ts", "bench/results/**", "apps/server/src/ingest/otlp/generated/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: {
        console: "readonly", process: "readonly", setTimeout: "readonly", clearTimeout: "readonly",
        setInterval: "readonly", clearInterval: "readonly", setImmediate: "readonly", URL: "readonly",
        Buffer: "readonly", performance: "readonly", fetch: "readonly", AbortController: "readonly",
        window: "readonly", document: "readonly", requestAnimationFrame: "readonly", TextEncoder: "readonly",
        TextDecoder: "readonly", queueMicrotask: "readonly", structuredClone: "readonly",
      },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      // Off: async functions without an await implement Promise-returning contracts (Engine.publish in
      // memory, route handlers) and turn a throw into a rejection; wrapping them in Promise.resolve adds noise.
      "@typescript-eslint/require-await": "off",
      // Off: services and sinks are object literals of closures typed with method syntax; none uses
      // `this`, so passing `store.catalog` or destructuring `{ publish }` is safe. Classes are rare here.
      "@typescript-eslint/unbound-method": "off",
      // The line-protocol parser throws a plain LineSyntaxError per bad line on purpose: no stack is
      // captured in a loop a hostile body can drive; it is caught on the same line it was thrown for.
      // The OTLP mapping does the same with PointRefused, once per refused data point.
      "@typescript-eslint/only-throw-error": ["error", { allow: [{ from: "file", name: "LineSyntaxError" }, { from: "file", name: "PointRefused" }] }],
    },
  },
  {
    // Plain JavaScript (scripts, benchmarks, build files) and tool configs outside every tsconfig:
    // linted without type information.
    files: ["**/*.{js,mjs,cjs}", "**/vitest.config.ts", "**/next.config.ts"],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Tests read JSON answers and raw socket frames, then assert their shape with expect(); the
    // unsafe-any and stringification rules would only add casts there.
    files: TESTS,
    rules: {
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-base-to-string": "off",
    },
  },
  {
    // Dependencies flow one way (events <- api <- server; events <- client <- web): no package
    // reaches into an app, by name or by path.
    files: PACKAGE_SOURCE,
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [
            { name: "@livedash/server", message: "packages never import an app; move what you need into a package" },
            { name: "@livedash/web", message: "packages never import an app; move what you need into a package" },
          ],
          patterns: [
            { group: ["**/apps/**", "@livedash/server/*"], message: "packages never import an app; move what you need into a package" },
            { group: ["@livedash/test-support"], message: "test support is for tests and scripts, not for shipped code" },
          ],
        },
      ],
    },
  },
  {
    // Configuration is read in one place per process: config.ts (server), server-env.ts (dashboard),
    // and the entry points that hand process.env to them.
    files: [...PACKAGE_SOURCE, ...APP_SOURCE],
    ignores: ["apps/server/src/config.ts", "apps/server/src/main.ts", "apps/web/lib/server-env.ts", "packages/client/src/cli/bin.ts", "packages/client/src/cli/agent/bin.ts"],
    rules: {
      "no-restricted-properties": ["error", { object: "process", property: "env", message: "read settings in config.ts (or server-env.ts) and pass them down" }],
    },
  },
);
