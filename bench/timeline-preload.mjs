// Loaded into the action's process by bench/timeline.mjs (node --import):
// notes when each Engine API and AWS request starts and ends, in ms since
// the process started (performance.now()), on stderr, which the action does
// not use. It only listens on Node's diagnostics channels (undici's for the
// engine, node:http's for the SDK); it changes nothing the action does.
import { subscribe } from 'node:diagnostics_channel';
import { writeSync } from 'node:fs';

const note = (what) =>
  writeSync(2, `timeline ${performance.now().toFixed(1)} ${what}\n`);

// Engine paths name the image; only the operation is kept.
const engineCall = (request) =>
  `engine ${request.method} ${request.path
    .replace(/^\/v[\d.]+/, '')
    .replace(/\?.*$/, '')
    .replace(/^\/images\/.+\/(json|tag|push)$/, '/images/…/$1')}`;
const awsCall = (request) =>
  `aws ${String(request.getHeader('x-amz-target') ?? request.path).replace(/^.*\./, '')}`;

note('loaded node (preload ran)');
subscribe('undici:request:create', ({ request }) =>
  note(`start ${engineCall(request)}`),
);
subscribe('undici:request:trailers', ({ request }) =>
  note(`end ${engineCall(request)}`),
);
subscribe('http.client.request.start', ({ request }) =>
  note(`start ${awsCall(request)}`),
);
subscribe('http.client.response.finish', ({ request }) =>
  note(`end ${awsCall(request)}`),
);
process.on('exit', () => note('exit'));
