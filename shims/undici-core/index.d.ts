// The real undici's types, named by file so that tsconfig's "undici" path
// (which leads here) does not lead back to this file.
export { Pool, ProxyAgent, errors } from 'undici/index.js';
export type { Dispatcher } from 'undici/index.js';
