// Lint: typescript-eslint's recommended rules, type-aware where it pays (floating promises lose errors).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { coreLayers } from './eslint/core-layers.mjs';

/** A restricted import path: the module 'vscode'. */
const noVscode = (message) => ({ name: 'vscode', message });
/** A restricted import pattern: relative paths matching `regex` (a layer the folder must not reach). */
const layer = (regex, message) => ({ regex, message });
const validatorPatterns = [
  layer('^(\\.\\./)+(ui|cli|extension|api)(/|\\.js$|$)', 'src/validator is below the shells and the API.'),
  layer('^(\\.\\./)+core/store(/|\\.js$|$)', 'src/validator does not use the job store.'),
];

/** The rule for src/core files in `folder` (the core's root files when undefined), which must not reach `above`. */
const coreRestrictions = (above, folder) => ({
  '@typescript-eslint/no-restricted-imports': [
    'error',
    {
      paths: [noVscode('src/core has no vscode import; put VS Code glue in src/ui or src/extension.ts.')],
      patterns: [
        layer('^(\\.\\./)+(ui|cli|extension|api)(/|\\.js$|$)', 'src/core is below the shells and the API: pass what it needs in.'),
        layer(
          '^(\\.\\./)+validator/(?!managed-downloads-validator(\\.js)?$)',
          'src/core may use only the validator contract (managed-downloads-validator).',
        ),
        ...(above.length === 0
          ? []
          : [
              layer(
                `^${folder ? '(\\.\\./)+' : '\\./'}(${above.join('|')})(/|\\.js$|$)`,
                `src/core/${folder ?? '*.ts'} is below ${above.join(', ')} (docs/architecture.md, "Layers"): move what both need down.`,
              ),
            ]),
      ],
    },
  ],
});

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
  // Layers (docs/architecture.md, "Layers"): each folder imports downward only. Relative paths are matched by
  // their text: `(../)+ui/` is src/ui from any depth below src/ (no folder under src/core is named like a layer).
  // The core runs in plain Node (CLI, tests): no vscode, no shell, no validator code but its declared contract.
  // Inside it, folders import downward only (coreLayers, from eslint/core-layers.mjs); test/unit/core/architecture.test.ts
  // reads the same order and checks it on import() expressions too, and that no folders import each other in a circle.
  // A folder not in coreLayers yet keeps the core's rule; the architecture test asks for its place in the order.
  { files: ['src/core/**/*.ts'], rules: coreRestrictions([]) },
  { files: ['src/core/*.ts'], rules: coreRestrictions(coreLayers.flat()) },
  ...coreLayers.flatMap((folders, i) =>
    folders.map((folder) => ({
      files: [`src/core/${folder}/**/*.ts`],
      rules: coreRestrictions(coreLayers.slice(i + 1).flat(), folder),
    })),
  ),
  {
    // The CLI is a shell over the core (and the validator's CLI gate), never over VS Code.
    files: ['src/cli/**/*.ts', 'src/cli.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [noVscode('The CLI runs without VS Code.')],
          patterns: [layer('^(\\./|(\\.\\./)+)(ui|extension)(/|\\.js$|$)', 'The CLI does not use the VS Code shell.')],
        },
      ],
    },
  },
  {
    // The VS Code shell uses the engine through its interface (src/core/model/job.ts); the store's code is loaded
    // lazily by src/extension.ts when the engine opens, so the UI may name its types but not import its values.
    files: ['src/ui/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            layer('^(\\.\\./)+(cli|extension)(/|\\.js$|$)', 'src/ui does not use the CLI or the composition root.'),
            {
              ...layer(
                '^(\\.\\./)+core/store(/|\\.js$|$)',
                'Ask the engine (DownloadEngine in src/core/model/job.ts); the store loads lazily.',
              ),
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  {
    // The validator sits on the core (errors, the model, net, tls), below the shells, without vscode: its VS Code
    // glue is src/ui/certificates/validatorBinding.ts.
    files: ['src/validator/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { paths: [noVscode('src/validator has no vscode import; put VS Code glue in src/ui/certificates.')], patterns: validatorPatterns },
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
