/**
 * @module search-api/server — serves a Hono app over HTTP (@hono/node-server). The only file that
 * calls `serve()`.
 *
 * Graceful shutdown: `close()` stops accepting connections, lets requests in flight finish, closes
 * idle keep-alive connections as they become idle, and after `shutdownTimeoutMs` cuts whatever is
 * left (a stuck client must not hold a deploy forever).
 */
import { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type HttpBindings } from '@hono/node-server';
import { ConfigError } from '../core/errors.js';
import type { Logger } from '../core/ports.js';

/** Options of `startServer`. */
export interface StartServerOptions {
  /** TCP port; 0 picks a free one (see `RunningServer.port`). */
  readonly port: number;
  /** Interface to bind, e.g. "127.0.0.1" (local only) or "0.0.0.0" (a container). */
  readonly host: string;
  readonly logger: Logger;
  /** Longest wait for requests in flight on close, in ms (default 10,000; Kubernetes gives 30 s by default). */
  readonly shutdownTimeoutMs?: number;
  /** Longest time to receive a whole request, in ms (default 30,000): slow clients cannot hold sockets. */
  readonly requestTimeoutMs?: number;
}

/** A listening server. */
export interface RunningServer {
  /** "http://host:port" */
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  /** Stops gracefully (see the module comment). Resolves once every connection is closed. Idempotent. */
  close(): Promise<void>;
}

/** Default grace period for requests in flight at shutdown, in ms. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

/** What `startServer` serves: anything with a fetch handler, such as a Hono app. */
export interface Fetchable {
  fetch(request: Request, env: HttpBindings): Response | Promise<Response>;
}

/**
 * Starts serving `app` (any Hono app).
 * @throws ConfigError when the port cannot be bound (in use, not permitted).
 */
export function startServer(app: Fetchable, options: StartServerOptions): Promise<RunningServer> {
  const { logger } = options;
  return new Promise((resolve, reject) => {
    const server = serve({
      fetch: (request, env) => app.fetch(request, env as HttpBindings),
      port: options.port,
      hostname: options.host,
    });
    if (!(server instanceof Server)) {
      reject(new ConfigError('expected an HTTP/1.1 server from @hono/node-server'));
      return;
    }
    server.requestTimeout = options.requestTimeoutMs ?? 30_000;
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(
        new ConfigError(`cannot listen on ${options.host}:${options.port}: ${error.code ?? error.message}`, {
          hint:
            error.code === 'EADDRINUSE'
              ? 'choose another PORT or stop the process using it'
              : 'check HOST and PORT',
          cause: error,
        }),
      );
    };
    server.once('error', onError);
    server.once('listening', () => {
      server.off('error', onError);
      const address = server.address() as AddressInfo;
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      const url = `http://${host}:${address.port}`;
      logger.info(`listening on ${url}`, { port: address.port });
      let closing: Promise<void> | null = null;
      const close = (): Promise<void> => {
        closing ??= new Promise<void>((done) => {
          logger.info('shutting down: finishing requests in flight');
          const sweep = setInterval(() => server.closeIdleConnections(), 100);
          sweep.unref();
          const deadline = setTimeout(() => {
            logger.warn('shutdown grace period over: closing the remaining connections');
            server.closeAllConnections();
          }, options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS);
          deadline.unref();
          server.close(() => {
            clearInterval(sweep);
            clearTimeout(deadline);
            logger.info('server stopped');
            done();
          });
          server.closeIdleConnections();
        });
        return closing;
      };
      resolve({ url, port: address.port, server, close });
    });
  });
}
