// ESLint flat config: typescript-eslint's strict, type-checked rules over our TypeScript, with the
// type information of the nearest tsconfig.json (the root one, or a package's own, e.g. chaincode/).
// Formatting is prettier's job: eslint-config-prettier comes last and turns off the style rules.
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import { defineConfig, globalIgnores } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig([
  globalIgnores([
    "node_modules/",
    "artifacts/",
    "cache/",
    "types/",
    "typechain-types/",
    "coverage/",
    ".tools/",
    ".data/",
    "chaincode/dist/",
    "chaincode/node_modules/",
    "bench/results/",
  ]),

  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: {
      reportUnusedDisableDirectives: "error",
    },
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      // No @ts-ignore / @ts-nocheck; @ts-expect-error only with a reason.
      "@typescript-eslint/ban-ts-comment": [
        "error",
        {
          "ts-ignore": true,
          "ts-nocheck": true,
          "ts-check": false,
          "ts-expect-error": "allow-with-description",
        },
      ],
      // Numbers (and bigints) and booleans read fine in messages; objects and nullish values do not.
      "@typescript-eslint/restrict-template-expressions": [
        "error",
        { allowNumber: true, allowBoolean: true },
      ],
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_" },
      ],
      // tsconfig has noUncheckedIndexedAccess off, so `xs[0]` is typed as never undefined and this
      // rule calls a runtime guard such as `log.topics[0]?.toLowerCase()` unnecessary, pushing code
      // to drop checks that matter. Turn it back on together with noUncheckedIndexedAccess.
      "@typescript-eslint/no-unnecessary-condition": "off",
      eqeqeq: ["error", "always"],
      "no-console": "off",
    },
  },

  // Tests: chai's property assertions (`expect(x).to.be.true`) are expressions by design.
  {
    files: ["test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-unused-expressions": "off",
    },
  },

  // Plain JavaScript (this file, any tool config) has no tsconfig: lint it without type information.
  {
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
    extends: [tseslint.configs.disableTypeChecked],
  },

  prettier,
]);
