/**
 * A tiny stand-in for the Hugging Face Hub's /resolve/ endpoint on 127.0.0.1, for download tests.
 * LFS files answer HEAD/GET with a 302 to /cdn/… and an X-Linked-ETag (sha256); git files answer
 * with an ETag (git blob sha1). Behaviours per path: 'ok', 'corrupt' (serves other bytes),
 * 'drop' (sends half the body then destroys the socket), 'drop-once', 'no-hash'.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HubFile {
  readonly content: Buffer;
  readonly lfs: boolean;
  mode: 'ok' | 'corrupt' | 'drop' | 'drop-once' | 'no-hash';
}

export interface HubServer {
  readonly endpoint: string;
  readonly files: Map<string, HubFile>;
  requests: string[];
  close(): Promise<void>;
}

export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

function gitSha1(b: Buffer): string {
  return createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
}

/** `files` keys are "owner/name/revision/path". */
export async function startHubServer(files: Map<string, HubFile>): Promise<HubServer> {
  const state = { requests: [] as string[] };
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    state.requests.push(`${req.method} ${url}`);
    const cdn = url.startsWith('/cdn/');
    const m = cdn ? null : /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url);
    const key = cdn ? decodeURIComponent(url.slice(5)) : m ? `${m[1]}/${decodeURIComponent(m[2] ?? '')}/${m[3]}` : '';
    const file = files.get(key);
    if (file === undefined) {
      res.writeHead(404).end('Entry not found');
      return;
    }
    const headers: Record<string, string> = {};
    if (file.mode !== 'no-hash') {
      if (file.lfs) headers['x-linked-etag'] = `"${sha256(file.content)}"`;
      else headers.etag = `"${gitSha1(file.content)}"`;
    }
    if (!cdn && file.lfs) {
      res.writeHead(302, { ...headers, location: `/cdn/${encodeURIComponent(key)}` }).end();
      return;
    }
    if (req.method === 'HEAD') {
      res.writeHead(200, { ...headers, 'content-length': String(file.content.length) }).end();
      return;
    }
    const body = file.mode === 'corrupt' ? Buffer.from(file.content.map((b) => b ^ 0xff)) : file.content;
    res.writeHead(200, { ...headers, 'content-length': String(body.length) });
    if (file.mode === 'drop' || file.mode === 'drop-once') {
      if (file.mode === 'drop-once') file.mode = 'ok';
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
      return;
    }
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    files,
    get requests() {
      return state.requests;
    },
    set requests(v: string[]) {
      state.requests = v;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An http://127.0.0.1:<port> endpoint where nothing listens (connections are refused). */
export async function closedEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
