// Lint with type information (typescript-eslint's type-checked rules) over the TypeScript sources
// and tests; formatting is Prettier's (npm run format), checked with the lint.
import tseslint from 'typescript-eslint';

// The layering of CONTRIBUTING.md, checked: each folder of src/ names what it must not import.
// Lowest first: errors.ts, log.ts, event, retry, backend (Redis connections and scripts, the embedded database); the stages
// (decode -> validate -> store -> consume -> forward / logout; backchannel and sources beside them;
// metrics reads the stages' types); http, which calls the stages; and the edges (relay.ts, main.ts,
// bin.ts, cli, workers), the only readers of src/config. An import is matched by its upward path
// (`../store/...`), so a stage's own sub-folders (store/redis, logout/redis) are never confused
// with the top-level ones.
const EDGES = ['config', 'relay', 'main', 'bin', 'cli', 'workers', 'index'];
const STAGES = ['http', 'decode', 'validate', 'store', 'consume', 'forward', 'logout', 'backchannel', 'sources', 'metrics'];
const BACKEND = ['backend'];
/** `import ... from '../<name>/...'` or `'../<name>.js'` at any depth (`./<name>` from a file at the top of src/). */
const forbid = (folder, names) => ({
  files: [folder.endsWith('.ts') ? `src/${folder}` : `src/${folder}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: names.map((name) => ({
          regex: `^(${folder.endsWith('.ts') ? '\\./' : '(\\.\\./)+'})${name}(/|\\.js$)`,
          message: `src/${folder} must not import src/${name}: see the layering in CONTRIBUTING.md (and eslint.config.mjs).`,
        })),
      },
    ],
  },
});
const except = (list, ...names) => list.filter((name) => !names.includes(name));
const layers = [
  forbid('errors.ts', [...EDGES, ...STAGES, ...BACKEND, 'event', 'retry', 'log']),
  forbid('log.ts', [...EDGES, ...STAGES, ...BACKEND, 'event', 'retry']),
  forbid('event', [...EDGES, ...STAGES, ...BACKEND, 'retry', 'log']),
  forbid('retry', [...EDGES, ...STAGES, ...BACKEND, 'event', 'log']),
  forbid('backend', [...EDGES, ...STAGES]),
  forbid('decode', [...EDGES, ...except(STAGES, 'decode')]),
  forbid('validate', [...EDGES, ...except(STAGES, 'validate', 'decode')]),
  forbid('store', [...EDGES, ...except(STAGES, 'store')]),
  forbid('consume', [...EDGES, ...except(STAGES, 'consume', 'store')]),
  forbid('logout', [...EDGES, ...except(STAGES, 'logout', 'store', 'consume')]),
  forbid('backchannel', [...EDGES, ...except(STAGES, 'backchannel', 'decode', 'logout')]),
  forbid('forward', [...EDGES, ...except(STAGES, 'forward', 'store', 'consume', 'metrics')]),
  forbid('metrics', [...EDGES, ...except(STAGES, 'metrics', 'store', 'sources')]),
  // The catch-up stores what it reads as a pushed event is stored: through http/store-event.ts.
  forbid('sources', [...EDGES, 'backchannel', 'consume', 'forward']),
  forbid('http', EDGES),
  forbid('client', [...EDGES, ...except(STAGES, 'logout')]),
];

export default tseslint.config(
  { ignores: ['dist/', 'generated/', 'node_modules/', 'bench/', 'scripts/', 'examples/', 'src/http/status-page/', '**/*.mjs'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Promises left floating are how work gets lost: every one is awaited, returned, or marked `void`.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, properties: false } }],
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // `import()` types stay allowed: vi.mock factories need them.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // Interface implementations are async so that a throw becomes a rejection, awaited or not.
      '@typescript-eslint/require-await': 'off',
    },
  },
  ...layers,
  {
    // The unit layer runs without servers and without a build (vitest.unit.config.ts has no global setup).
    files: ['test/unit/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '(^|/)dist/', message: 'test/unit tests the sources, not the build.' },
            {
              regex:
                '/support/(relay|child-relay|redis-server|redis-cluster|redis-stores|sink|http|targets|tcp-proxy|keycloak-stand-in|oidc-issuer|docker)\\.js$',
              message: 'test/unit runs no server: a test that needs one belongs beside the integration tests.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Tests read JSON answers and poke at internals; these rules would only add casts there.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
