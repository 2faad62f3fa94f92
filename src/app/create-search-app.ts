/**
 * @module app/create-search-app — the GitHub App (Probot): answers `/search <query>` in issue and pull
 * request comments. `createSearchApp(deps)` returns the Probot application function; `index.ts`
 * default-exports one built from the environment.
 *
 * Flow of one `issue_comment.created|edited` delivery:
 * 1. ignore bots (the App's own replies included) and comments that carry a reply marker;
 * 2. find the `/search` line (none → nothing to do; an edit that leaves the command unchanged → nothing);
 * 3. help and user mistakes → a reply; a search → the per-repository rate limit (over it → a 😕
 *    reaction, no reply: a reply per refused command would itself flood the thread);
 * 4. 👀 on the comment while working, pick the ref (PR head if indexed and same repository, else PR base,
 *    else the default branch), search with `repo` = the repository of the delivery — never user input —
 *    reply (or update the earlier reply found by its hidden marker), remove 👀.
 *
 * Failure policy (CONVENTIONS.md §6): user mistakes (`InvalidQueryError`, bad options, not indexed) get a
 * reply; anything else is rethrown to Probot's error handler (the webhook answers 500 and GitHub shows
 * the failed delivery).
 */
import type { Context, Probot } from 'probot';
import type { Logger, VectorStore } from '../core/ports.js';
import { InvalidQueryError, type SearchService } from '../core/search-service.js';
import type { IndexState } from '../core/types.js';
import { codeSpan } from './markdown.js';
import { parseCommand, type ParsedCommand, type SearchCommand } from './parse-command.js';
import {
  isReplyBody,
  renderHelp,
  renderInvalid,
  renderNotIndexed,
  renderRefNotIndexed,
  renderResults,
  replyMarker,
  shortRef,
  withMarker,
  MAX_COMMENT_CHARS,
} from './render-reply.js';
import { DEFAULT_APP_RATE_LIMIT, RepoRateLimiter, type RateLimitSettings } from './repo-rate-limiter.js';
import { loggerFromPino } from '../adapters/pino/pino-logger.js';

/** What the App needs of the search side: the use case, and the store for index states. */
export interface SearchBackend {
  readonly service: Pick<SearchService, 'search'>;
  readonly store: Pick<VectorStore, 'listStates'>;
}

/** Dependencies of `createSearchApp`. */
export interface SearchAppDeps {
  /**
   * Returns the search backend; called once per search, so it may open the store lazily and should
   * memoize. A server running the API too passes the API's own service and store.
   * Errors propagate to Probot's error handler.
   */
  readonly backend: (logger: Logger) => SearchBackend | Promise<SearchBackend>;
  /** Wall clock in milliseconds for the rate limit (default `Date.now`). */
  readonly now?: () => number;
  /** Searches per repository and window (default 10 per minute). */
  readonly rateLimit?: RateLimitSettings;
  /**
   * Login of the App's bot user (e.g. "codeidx[bot]"). When set, only comments by this login are taken
   * as earlier replies to update; otherwise any Bot-authored comment carrying the exact marker is.
   */
  readonly botLogin?: string;
}

type CommentContext = Context<'issue_comment.created' | 'issue_comment.edited'>;

/** Adapts Probot's pino logger to the core `Logger` port. */
export { loggerFromPino };

function sameCommand(a: ParsedCommand | null, b: ParsedCommand | null): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function isSearchable(state: IndexState): boolean {
  return state.status === 'complete' || state.commit !== null;
}

/** Filters shown in the reply header. */
function describeFilters(command: SearchCommand): string[] {
  const out: string[] = [];
  if (command.pathPrefix) out.push(`path ${codeSpan(command.pathPrefix)}`);
  if (command.language) out.push(`lang ${codeSpan(command.language)}`);
  if (command.symbolKind) out.push(`kind ${codeSpan(command.symbolKind)}`);
  return out;
}

/**
 * Builds the Probot application function of the `/search` App.
 * @throws ConfigError (at once) for invalid rate-limit settings.
 */
export function createSearchApp(deps: SearchAppDeps): (app: Probot) => void {
  const limiter = new RepoRateLimiter(deps.rateLimit ?? DEFAULT_APP_RATE_LIMIT, deps.now ?? Date.now);

  return (app: Probot): void => {
    const logger = loggerFromPino(app.log);
    app.on(['issue_comment.created', 'issue_comment.edited'], async (context: CommentContext) => {
      const { payload } = context;
      const { comment, repository, sender } = payload;
      const body = comment.body ?? '';
      if (sender.type === 'Bot' || comment.user?.type === 'Bot' || isReplyBody(body)) {
        context.log.debug({ comment: comment.id }, 'ignored: comment by a bot or a codeidx reply');
        return;
      }
      const command = parseCommand(body);
      if (command === null) return;
      if (payload.action === 'edited') {
        const before = payload.changes.body?.from;
        if (before !== undefined && sameCommand(parseCommand(before), command)) return;
      }

      const repo = repository.full_name;
      const { owner, repo: name } = context.repo();
      const issueNumber = payload.issue.number;

      const reply = async (text: string): Promise<void> => {
        const full = withMarker(comment.id, text);
        if (full.length > MAX_COMMENT_CHARS) {
          throw new Error(`codeidx reply of ${full.length} characters exceeds GitHub's ${MAX_COMMENT_CHARS}`);
        }
        const marker = replyMarker(comment.id);
        const earlier = await context.octokit.paginate(context.octokit.rest.issues.listComments, {
          owner,
          repo: name,
          issue_number: issueNumber,
          since: comment.created_at,
          per_page: 100,
        });
        const previous = earlier.find(
          (c) =>
            c.body?.includes(marker) === true &&
            c.user?.type === 'Bot' &&
            (deps.botLogin === undefined || c.user.login === deps.botLogin),
        );
        if (previous) {
          await context.octokit.rest.issues.updateComment({
            owner,
            repo: name,
            comment_id: previous.id,
            body: full,
          });
        } else {
          await context.octokit.rest.issues.createComment({
            owner,
            repo: name,
            issue_number: issueNumber,
            body: full,
          });
        }
      };

      if (command.kind === 'help') return reply(renderHelp());
      if (command.kind === 'invalid') return reply(renderInvalid(command.message, command.hint));

      const decision = limiter.take(repo);
      if (!decision.allowed) {
        context.log.info({ repo, retryAfterMs: decision.retryAfterMs }, 'search rate limited');
        await context.octokit.rest.reactions.createForIssueComment({
          owner,
          repo: name,
          comment_id: comment.id,
          content: 'confused',
        });
        return;
      }

      const eyes = await context.octokit.rest.reactions.createForIssueComment({
        owner,
        repo: name,
        comment_id: comment.id,
        content: 'eyes',
      });
      const removeEyes = (): Promise<unknown> =>
        context.octokit.rest.reactions.deleteForIssueComment({
          owner,
          repo: name,
          comment_id: comment.id,
          reaction_id: eyes.data.id,
        });
      try {
        await reply(await answer(context, command, repo, logger));
      } catch (error) {
        // The original error is what matters; a failed clean-up is only logged.
        await removeEyes().catch((cleanup: unknown) =>
          context.log.warn({ err: cleanup }, 'could not remove the 👀 reaction'),
        );
        throw error;
      }
      await removeEyes();
    });
  };

  /** Runs one search and renders the reply (user mistakes rendered, other errors thrown). */
  async function answer(
    context: CommentContext,
    command: SearchCommand,
    repo: string,
    logger: Logger,
  ): Promise<string> {
    const { payload } = context;
    const backend = await deps.backend(logger);
    const states = (await backend.store.listStates(repo)).filter((s) => s.repo === repo && isSearchable(s));
    if (states.length === 0) return renderNotIndexed(repo);

    const defaultRef = `refs/heads/${payload.repository.default_branch}`;
    const prRefs: string[] = [];
    if (payload.issue.pull_request) {
      const { data: pr } = await context.octokit.rest.pulls.get(
        context.repo({ pull_number: payload.issue.number }),
      );
      if (pr.head.repo?.full_name === repo) prRefs.push(`refs/heads/${pr.head.ref}`);
      prRefs.push(`refs/heads/${pr.base.ref}`);
    }
    const tried = [...new Set([...prRefs, defaultRef])];
    const byRef = new Map(states.map((s) => [s.ref, s]));
    const ref = tried.find((r) => byRef.has(r));
    if (ref === undefined) return renderRefNotIndexed(repo, tried, [...byRef.keys()].sort());
    const state = byRef.get(ref)!;
    const note =
      prRefs.length > 0 && !prRefs.includes(ref)
        ? `The branches of this pull request are not indexed; searched the default branch ${codeSpan(shortRef(ref))} instead.`
        : undefined;

    try {
      const response = await backend.service.search({
        query: command.query,
        k: command.k,
        mode: command.mode,
        filter: {
          repo, // from the delivery, never from the comment: tenant isolation
          ref,
          ...(command.pathPrefix ? { pathPrefix: command.pathPrefix } : {}),
          ...(command.language ? { language: command.language } : {}),
          ...(command.symbolKind ? { symbolKind: command.symbolKind } : {}),
        },
      });
      // Defence in depth: a store bug must never leak another tenant's code into this thread.
      const hits = response.hits.filter((h) => h.repo === repo);
      if (hits.length !== response.hits.length) {
        throw new Error(`store returned ${response.hits.length - hits.length} hits outside ${repo}`);
      }
      return renderResults({
        query: command.query,
        repo,
        ref,
        commit: state.commit,
        mode: response.mode,
        requestedMode: command.mode,
        hits,
        baseUrl: new URL(payload.repository.html_url).origin,
        filters: describeFilters(command),
        ...(note ? { note } : {}),
      });
    } catch (error) {
      if (error instanceof InvalidQueryError) return renderInvalid(error.message, error.hint);
      throw error;
    }
  }
}
