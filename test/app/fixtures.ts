/**
 * Fixtures of the App tests: recorded `issue_comment` payloads from `@octokit/webhooks-examples`
 * (bodies adapted per test), a real small SQLite store with two tenants, and a Probot instance
 * with retry and throttling off (every GitHub call is answered by nock).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { WebhookDefinition } from '@octokit/webhooks-examples';
import { Probot, ProbotOctokit } from 'probot';
import { SqliteVectorStore } from '../../src/adapters/sqlite/sqlite-vector-store.js';
import { createSearchApp, type SearchAppDeps } from '../../src/app/create-search-app.js';
import { dirsOf, pointId, sha256Hex } from '../../src/core/identity.js';
import { SearchService } from '../../src/core/search-service.js';
import { emptyCounts, type Point, type RefScope, type SymbolKind } from '../../src/core/types.js';
import { HashEmbedder } from '../fakes/hash-embedder.js';

/** The repository of the recorded payloads. */
export const REPO = 'Codertocat/Hello-World';
export const OWNER = 'Codertocat';
export const NAME = 'Hello-World';
/** Its default branch in the recorded payloads. */
export const DEFAULT_REF = 'refs/heads/master';
export const FEATURE_REF = 'refs/heads/feature';
/** Another tenant in the same store: nothing of it may ever appear in a reply. */
export const OTHER_REPO = 'evil/secret';
export const COMMIT_MASTER = 'c'.repeat(40);
export const COMMIT_FEATURE = 'f'.repeat(40);
/** Text only the other tenant's code contains. */
export const OTHER_TENANT_MARKER = 'SECRET_VALUE_OF_EVIL';
export const WEBHOOK_SECRET = 'test-webhook-secret';
export const API = 'https://api.github.com';

/** A mutable JSON object (payloads are cloned and adapted per test). */
export type Json = { [key: string]: unknown };

interface IssueCommentExample {
  readonly action: string;
  readonly [key: string]: unknown;
}

/** The recorded payloads of api.github.com (the package's main file, a JSON array). */
const examples = JSON.parse(
  fs.readFileSync(createRequire(import.meta.url).resolve('@octokit/webhooks-examples'), 'utf8'),
) as WebhookDefinition[];

function issueCommentExample(action: 'created' | 'edited'): Json {
  const def = examples.find((e) => e.name === 'issue_comment');
  const example = (def?.examples as readonly IssueCommentExample[] | undefined)?.find(
    (e) => e.action === action,
  );
  if (!example) throw new Error(`no issue_comment.${action} example in @octokit/webhooks-examples`);
  return structuredClone(example);
}

/** Nested property access on a payload, for adapting it. */
export function obj(payload: Json, key: string): Json {
  return payload[key] as Json;
}

/** An `issue_comment.created` payload (recorded) with `body`. */
export function createdPayload(body: string): Json {
  const p = issueCommentExample('created');
  obj(p, 'comment').body = body;
  return p;
}

/** An `issue_comment.edited` payload (recorded) with the new `body` and the previous `from`. */
export function editedPayload(body: string, from: string): Json {
  const p = issueCommentExample('edited');
  obj(p, 'comment').body = body;
  p.changes = { body: { from } };
  return p;
}

/** Turns the payload's issue into a pull request (as GitHub sends for PR conversation comments). */
export function asPullRequest(payload: Json): Json {
  const issue = obj(payload, 'issue');
  issue.pull_request = {
    url: `${API}/repos/${REPO}/pulls/${String(issue.number)}`,
    html_url: `https://github.com/${REPO}/pull/${String(issue.number)}`,
    diff_url: `https://github.com/${REPO}/pull/${String(issue.number)}.diff`,
    patch_url: `https://github.com/${REPO}/pull/${String(issue.number)}.patch`,
  };
  return payload;
}

/** Points the payload at another repository (owner/name), as a delivery from it would. */
export function inRepository(payload: Json, fullName: string): Json {
  const [owner, name] = fullName.split('/') as [string, string];
  const repo = obj(payload, 'repository');
  repo.full_name = fullName;
  repo.name = name;
  repo.html_url = `https://github.com/${fullName}`;
  obj(repo, 'owner').login = owner;
  return payload;
}

/** The id of the recorded comment. */
export function commentId(payload: Json): number {
  return obj(payload, 'comment').id as number;
}

/** What `probot.receive` takes. */
export type WebhookEvent = Parameters<Probot['receive']>[0];

/** The payload as Probot's event type. */
export function asEvent(payload: Json, id = 'delivery-1'): WebhookEvent {
  return { id, name: 'issue_comment', payload } as unknown as WebhookEvent;
}

interface PointSpec {
  scope: RefScope;
  commit: string;
  path: string;
  symbol: string | null;
  kind?: SymbolKind;
  language?: string;
  text: string;
  startLine: number;
}

function makePoint(spec: PointSpec, embedder: HashEmbedder): Point {
  const contentHash = sha256Hex(`${spec.path}\u0000${spec.text}`);
  const lines = spec.text.split('\n').length;
  return {
    id: pointId(spec.scope, spec.path, 0, contentHash),
    repo: spec.scope.repo,
    ref: spec.scope.ref,
    commit: spec.commit,
    path: spec.path,
    dirs: dirsOf(spec.path),
    language: spec.language ?? 'typescript',
    symbol: spec.symbol,
    symbolKind: spec.kind ?? 'function',
    startLine: spec.startLine,
    endLine: spec.startLine + lines - 1,
    contentHash,
    fileHash: sha256Hex(`file:${spec.path}:${spec.text}`),
    text: spec.text,
    vector: embedder.vectorOf(spec.text),
  };
}

/** A snippet that contains a Markdown code fence: it must not break the reply. */
export const FENCE_SNIPPET = [
  'export function renderReadme(): string {',
  '  return `',
  '```ts',
  'parseConfig("x")',
  '```',
  '</details>',
  '`;',
  '}',
].join('\n');

/** A real SQLite store with two tenants, a search service over it, and its temp dir. */
export interface TestBackend {
  readonly store: SqliteVectorStore;
  readonly service: SearchService;
  readonly dir: string;
  cleanup(): Promise<void>;
}

/** Builds the store: master and feature of `REPO`, master of `OTHER_REPO`. */
export async function createTestBackend(): Promise<TestBackend> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codeidx-app-'));
  const embedder = new HashEmbedder(8);
  const space = { modelId: embedder.info.id, revision: embedder.info.revision, dims: embedder.info.dims };
  const store = await SqliteVectorStore.open({ path: path.join(dir, 'index.db'), space });
  const master: RefScope = { repo: REPO, ref: DEFAULT_REF };
  const feature: RefScope = { repo: REPO, ref: FEATURE_REF };
  const other: RefScope = { repo: OTHER_REPO, ref: DEFAULT_REF };
  const specs: PointSpec[] = [
    {
      scope: master,
      commit: COMMIT_MASTER,
      path: 'src/config.ts',
      symbol: 'parseConfig',
      startLine: 10,
      text: 'export function parseConfig(text: string): Config {\n  return JSON.parse(text) as Config;\n}',
    },
    {
      scope: master,
      commit: COMMIT_MASTER,
      path: 'src/retry.ts',
      symbol: 'retryWithBackoff',
      startLine: 1,
      text: 'export async function retryWithBackoff(fn: () => Promise<void>): Promise<void> {\n  await fn();\n}',
    },
    {
      scope: master,
      commit: COMMIT_MASTER,
      path: 'src/readme.ts',
      symbol: 'renderReadme',
      startLine: 3,
      text: FENCE_SNIPPET,
    },
    {
      scope: master,
      commit: COMMIT_MASTER,
      path: 'scripts/config.py',
      symbol: 'load_config',
      language: 'python',
      startLine: 1,
      text: 'def load_config(path):\n    """parse config file"""\n    return open(path).read()',
    },
    {
      scope: master,
      commit: COMMIT_MASTER,
      path: 'docs/config.md',
      symbol: null,
      kind: 'text',
      language: 'markdown',
      startLine: 1,
      text: '# Config\n\nparse config | table | pipes',
    },
    {
      scope: feature,
      commit: COMMIT_FEATURE,
      path: 'src/config.ts',
      symbol: 'parseConfigV2',
      startLine: 10,
      text: 'export function parseConfigV2(text: string): Config {\n  return featureOnlyParse(text);\n}',
    },
    {
      scope: other,
      commit: 'e'.repeat(40),
      path: 'src/config.ts',
      symbol: 'parseConfig',
      startLine: 1,
      text: `export function parseConfig(text: string) {\n  return "${OTHER_TENANT_MARKER}" + text;\n}`,
    },
  ];
  await store.upsert(specs.map((s) => makePoint(s, embedder)));
  const now = new Date('2024-01-01T00:00:00Z').toISOString();
  for (const [scope, commit] of [
    [master, COMMIT_MASTER],
    [feature, COMMIT_FEATURE],
    [other, 'e'.repeat(40)],
  ] as const) {
    await store.putState({
      repo: scope.repo,
      ref: scope.ref,
      commit,
      pendingCommit: null,
      model: 'test/hash-embedder@v1',
      chunkerVersion: 1,
      status: 'complete',
      counts: emptyCounts(),
      startedAt: now,
      completedAt: now,
    });
  }
  const service = new SearchService({ store, embedder });
  return {
    store,
    service,
    dir,
    cleanup: async () => {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * ProbotOctokit with retry and throttling off. The function form matters: Probot 14 wraps the class
 * with its own `throttle` options, which replace (shallow merge) an object passed to `.defaults({...})`,
 * leaving throttling on (Bottleneck spaces write requests by 1 s). A function sees Probot's options
 * and overrides them.
 */
export const TestOctokit: typeof ProbotOctokit = ProbotOctokit.defaults(
  (options: Record<string, unknown>) => ({
    ...options,
    retry: { enabled: false },
    throttle: { ...(options.throttle as object | undefined), enabled: false },
  }),
);

/** A Probot that talks to GitHub only through nock: token auth, no retry, no throttling, quiet logs. */
export function createTestProbot(): Probot {
  return new Probot({ githubToken: 'test', secret: WEBHOOK_SECRET, logLevel: 'fatal', Octokit: TestOctokit });
}

/** A Probot with the App loaded over `deps`. */
export async function loadApp(deps: SearchAppDeps): Promise<Probot> {
  const probot = createTestProbot();
  await probot.load(createSearchApp(deps));
  return probot;
}
