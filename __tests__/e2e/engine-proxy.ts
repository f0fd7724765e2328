// A proxy the fault tests put between the action and the real engine
// socket. It forwards everything, records which endpoints were called, and
// can cut, truncate or alter the progress stream of chosen push attempts.
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

export type PushFault =
  /** Drop the connection after this many progress lines (engine died). */
  | { kind: 'cut'; afterLines: number }
  /** End the response cleanly after this many lines (no digest). */
  | { kind: 'truncate'; afterLines: number }
  /** Send a line that is not JSON (a broken middlebox), then end. */
  | { kind: 'garbage'; afterLines: number }
  /** Replace the rest of the stream with an error line from the registry. */
  | { kind: 'error'; afterLines: number; message: string };

export interface EngineProxy {
  socketPath: string;
  dockerHost: string;
  /** `METHOD /path?query` of every request, in order. */
  requests: string[];
  pushCount(): number;
  close(): Promise<void>;
}

/** Faults by push attempt: faults[0] applies to the first push request. */
export async function startEngineProxy(
  engineSocket: string,
  faults: Array<PushFault | undefined> = [],
): Promise<EngineProxy> {
  const socketPath = path.join(tmpdir(), `engine-proxy-${randomUUID()}.sock`);
  const requests: string[] = [];
  let pushes = 0;

  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const isPush = /^\/v[\d.]+\/images\/.+\/push(\?|$)/.test(req.url ?? '');
    const fault = isPush ? faults[pushes] : undefined;
    if (isPush) pushes += 1;
    if (fault?.kind === 'error' && fault.afterLines === 0) {
      // Answered without the engine, so no push runs behind the answer.
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(errorLine(fault.message));
    }

    const upstream = http.request(
      {
        socketPath: engineSocket,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        if (!fault) return void answer.pipe(res);
        applyFault(fault, answer, res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));

  return {
    socketPath,
    dockerHost: `unix://${socketPath}`,
    requests,
    pushCount: () => pushes,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await rm(socketPath, { force: true });
    },
  };
}

function errorLine(message: string): string {
  return `${JSON.stringify({ errorDetail: { message }, error: message })}\r\n`;
}

function applyFault(
  fault: PushFault,
  answer: http.IncomingMessage,
  res: http.ServerResponse,
): void {
  let pending = '';
  let forwarded = 0;
  let done = false;
  const finish = () => {
    done = true;
    answer.destroy();
    if (fault.kind === 'cut') return void res.socket?.destroy();
    if (fault.kind === 'garbage')
      res.write('<html><body>502 Bad Gateway</body></html>\r\n');
    if (fault.kind === 'error') {
      res.write(errorLine(fault.message));
    }
    res.end();
  };
  answer.setEncoding('utf8');
  answer.on('data', (chunk: string) => {
    if (done) return;
    pending += chunk;
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      if (forwarded >= fault.afterLines) return finish();
      res.write(pending.slice(0, newline + 1));
      pending = pending.slice(newline + 1);
      forwarded += 1;
    }
  });
  answer.on('end', () => {
    if (!done) finish();
  });
}
