// Lint rules for the TypeScript program, policy pack, scripts and tests.
import eslint from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["node_modules/**", "out/**", "rendered/**", "services/**", "policy/node_modules/**"] },
    eslint.configs.recommended,
    ...tseslint.configs.strictTypeChecked,
    {
        languageOptions: {
            parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
        },
        rules: {
            // Template literals of numbers are the clearest way to build names and messages.
            "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
            // Pulumi resources are registered by construction; the instance is often not needed.
            "no-new": "off",
            "@typescript-eslint/no-extraneous-class": "off",
            // `() => assert.ok(...)` in tests and callbacks reads better with braces left out.
            "@typescript-eslint/no-confusing-void-expression": "off",
            // `const { dropped, ...rest } = value` is how an object loses a key.
            "@typescript-eslint/no-unused-vars": ["error", { ignoreRestSiblings: true }],
        },
    },
    {
        files: ["test/**/*.ts"],
        rules: {
            // Assertions on optional values: the test fails loudly if they are absent.
            "@typescript-eslint/no-non-null-assertion": "off",
            "@typescript-eslint/no-floating-promises": "error",
        },
    },
    {
        files: ["**/*.mjs"],
        ...tseslint.configs.disableTypeChecked,
    },
);
