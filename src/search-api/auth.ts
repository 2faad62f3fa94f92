/**
 * @module search-api/auth — bearer tokens with repository scopes.
 *
 * Tokens are configured by their sha256 (hex), never in plain text: the server hashes the presented
 * token and looks the hash up, so no token outlives the request in memory (the GitHub model for PATs).
 * Lookup by hash is not a timing oracle worth closing: the attacker would need sha256 preimages.
 * Each token lists the repositories it may read as picomatch patterns over "owner/name"
 * ("org/*", "org/{a,b}", "*\/*" for all). Matching is case-sensitive and exact: a pattern names the
 * repositories as they are indexed. Negated patterns ("!x") are refused: a scope is an allowlist.
 */
import picomatch from 'picomatch';
import * as z from 'zod';
import { sha256Hex } from '../core/identity.js';
import { ApiError } from './api-error.js';

/** A repository pattern: "owner/name" where either part may use picomatch globs, never "!" negation. */
export const repoPatternSchema = z
  .string()
  .regex(/^[^!/\s][^/\s]*\/[^/\s]+$/, {
    error: 'a repository pattern is "owner/name", globs allowed ("org/*", "*/*"), no "!"',
  });

/** One configured token. */
export const tokenEntrySchema = z.strictObject({
  /** A name for logs and metrics (never the token). */
  name: z
    .string()
    .regex(/^[A-Za-z0-9_.@-]{1,64}$/, { error: 'name: 1-64 letters, digits, "_", ".", "@" or "-"' }),
  /** sha256 of the token, lowercase or uppercase hex: `printf %s "$TOKEN" | sha256sum`. */
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, { error: 'sha256: 64 hex digits (printf %s "$TOKEN" | sha256sum)' })
    .transform((h) => h.toLowerCase()),
  /** Repositories the token may read. */
  repos: z.array(repoPatternSchema).min(1, { error: 'repos: at least one pattern' }),
});

/** A configured token: name, sha256 of the secret, repository patterns. */
export type TokenEntry = z.infer<typeof tokenEntrySchema>;

/** Authentication settings of the API. */
export interface AuthConfig {
  readonly tokens: readonly TokenEntry[];
  /** Repositories anyone may read without a token (patterns as for tokens). Empty: every request needs a token. */
  readonly publicRepos: readonly string[];
}

/** Parses and checks an auth configuration (token names and hashes unique). Throws a `ZodError`. */
export const authConfigSchema = z
  .strictObject({
    tokens: z.array(tokenEntrySchema).default([]),
    publicRepos: z.array(repoPatternSchema).default([]),
  })
  .superRefine((config, ctx) => {
    const names = new Set<string>();
    const hashes = new Set<string>();
    config.tokens.forEach((t, i) => {
      if (names.has(t.name))
        ctx.addIssue({
          code: 'custom',
          path: ['tokens', i, 'name'],
          message: `duplicate token name "${t.name}"`,
        });
      if (hashes.has(t.sha256))
        ctx.addIssue({ code: 'custom', path: ['tokens', i, 'sha256'], message: 'duplicate token hash' });
      names.add(t.name);
      hashes.add(t.sha256);
    });
  });

/** Who is asking, and what they may read. */
export interface Principal {
  /** "token:<name>" or "anonymous": used as the rate-limit key and in logs. */
  readonly id: string;
  readonly anonymous: boolean;
  /** True when the scope is every repository ("*\/*"): a search needs no per-repository fan-out. */
  readonly readsAll: boolean;
  /** Whether this principal may read `repo` ("owner/name"). */
  canRead(repo: string): boolean;
}

function matcher(patterns: readonly string[]): (repo: string) => boolean {
  if (patterns.length === 0) return () => false;
  // dot: "org/.github" is a repository like any other; nocase off: exact names.
  const isMatch = picomatch([...patterns], { dot: true });
  return (repo) => isMatch(repo);
}

/** sha256 (hex) of a bearer token, as stored in the configuration. */
export function hashToken(token: string): string {
  return sha256Hex(token);
}

/** Resolves the `Authorization` header of a request into a `Principal`. */
export class AccessPolicy {
  private readonly byHash: Map<string, Principal>;
  private readonly anonymous: Principal | null;

  constructor(config: AuthConfig) {
    this.byHash = new Map(
      config.tokens.map((t) => [
        t.sha256.toLowerCase(),
        {
          id: `token:${t.name}`,
          anonymous: false,
          readsAll: t.repos.includes('*/*'),
          canRead: matcher(t.repos),
        },
      ]),
    );
    this.anonymous =
      config.publicRepos.length > 0
        ? {
            id: 'anonymous',
            anonymous: true,
            readsAll: config.publicRepos.includes('*/*'),
            canRead: matcher(config.publicRepos),
          }
        : null;
  }

  /** Whether any token is configured (the web page then shows its token field). */
  get tokensConfigured(): boolean {
    return this.byHash.size > 0;
  }

  /**
   * The principal of a request.
   * @throws ApiError 401 for a malformed header or an unknown token, or when there is no header and
   *   no public repository is configured.
   */
  resolve(authorization: string | undefined): Principal {
    const challenge = { 'WWW-Authenticate': 'Bearer realm="codeidx"' };
    if (authorization === undefined || authorization === '') {
      if (this.anonymous) return this.anonymous;
      throw new ApiError(401, 'unauthorized', 'this API needs a bearer token', {
        hint: 'send "Authorization: Bearer <token>"',
        headers: challenge,
      });
    }
    const match = /^Bearer ([\x21-\x7e]{1,512})$/i.exec(authorization.trim());
    if (!match) {
      throw new ApiError(401, 'unauthorized', 'the Authorization header must be "Bearer <token>"', {
        headers: challenge,
      });
    }
    const principal = this.byHash.get(hashToken(match[1]));
    if (!principal) {
      throw new ApiError(401, 'unauthorized', 'the token is not valid', {
        hint: 'ask an administrator for a token, or check for a copy-paste error',
        headers: { 'WWW-Authenticate': 'Bearer realm="codeidx", error="invalid_token"' },
      });
    }
    return principal;
  }

  /**
   * Checks that `principal` may read `repo`.
   * @throws ApiError 403 for a token outside its scope, 401 for an anonymous caller (a token may help).
   *   The message is the same whether or not the repository is indexed: nothing leaks.
   */
  assertCanRead(principal: Principal, repo: string): void {
    if (principal.canRead(repo)) return;
    if (principal.anonymous) {
      throw new ApiError(
        401,
        'unauthorized',
        `repo: ${repo} is not public; send a bearer token that may read it`,
        {
          headers: { 'WWW-Authenticate': 'Bearer realm="codeidx"' },
        },
      );
    }
    throw new ApiError(403, 'forbidden', `repo: this token may not read ${repo}`, {
      hint: 'ask for a token whose scope includes this repository',
    });
  }
}
