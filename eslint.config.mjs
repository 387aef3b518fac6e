// Lint: typescript-eslint's recommended rules, type-aware where it pays (floating promises lose errors).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'out/**',
      'node_modules/**',
      '.vscode-test/**',
      'test-results/**',
      '*.vsix',
      'bench/work/**',
      'demo/workspace-template/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': 'off',
    },
  },
  {
    // The core runs in plain Node (CLI, tests): it must never import vscode.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'vscode', message: 'src/core has no vscode import; put VS Code glue in src/ui or src/extension.ts.' }] },
      ],
    },
  },
  {
    // Text a person reads goes through vscode.l10n.t (or t from src/ui/l10n.ts in modules without vscode),
    // so l10n/bundle.l10n.json lists it for translators. Catches a bare string or template handed to a
    // message, or used as a quick input's title, prompt or placeholder.
    files: ['src/ui/**/*.ts', 'src/extension.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            'CallExpression[callee.property.name=/^show(Information|Warning|Error)Message$/][arguments.0.type=/^(Literal|TemplateLiteral)$/]',
          message: 'Localize the message: vscode.l10n.t(...).',
        },
        {
          selector:
            'CallExpression[callee.property.name="show"][arguments.0.value=/^(info|warning|error)$/][arguments.1.type=/^(Literal|TemplateLiteral)$/]',
          message: 'Localize the message: vscode.l10n.t(...).',
        },
        {
          selector:
            'Property[key.name=/^(title|prompt|placeHolder|placeholder|saveLabel|openLabel)$/][value.type=/^(Literal|TemplateLiteral)$/][value.value!=/^https?:/]',
          message: 'Localize the title, prompt or placeholder: vscode.l10n.t(...).',
        },
        {
          selector:
            'AssignmentExpression[left.property.name=/^(title|placeholder|prompt|message)$/][right.type=/^(Literal|TemplateLiteral)$/]',
          message: 'Localize the text: vscode.l10n.t(...).',
        },
      ],
    },
  },
  {
    // Validator files reference the declarations beside them: that is how the editor finds the types of
    // 'managed-downloads/validator' without a tsconfig (see src/validator/authoring/declarations.ts).
    files: ['examples/validators/**/*.ts'],
    rules: { '@typescript-eslint/triple-slash-reference': 'off' },
  },
  {
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        Buffer: 'readonly',
        __dirname: 'readonly',
        require: 'readonly',
        module: 'writable',
        globalThis: 'readonly',
        AbortController: 'readonly',
        fetch: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
