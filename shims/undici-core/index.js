'use strict';
// What `import ... from 'undici'` means in the bundle (tsconfig.json's
// "paths" send every such import here, @actions/http-client's included).
//
// undici's own index loads and runs all of undici: fetch, WebSocket,
// EventSource, the HTTP caches, the mocks. In the bundle that was 0.75 MB of
// code compiled and evaluated at every start, about 25 ms of each run of the
// action (bench/README.md). The action uses a Pool (the engine client) and
// @actions/http-client a ProxyAgent (for its OIDC requests, which this
// action never makes), so this gives those two, plus the request API that
// undici's index installs on every dispatcher. The paths are undici's own;
// a change to them fails the build, and the tests run the bundle.
const Dispatcher = require('undici/lib/dispatcher/dispatcher.js');
const api = require('undici/lib/api/index.js');

Object.assign(Dispatcher.prototype, api);

exports.Pool = require('undici/lib/dispatcher/pool.js');
exports.ProxyAgent = require('undici/lib/dispatcher/proxy-agent.js');
exports.errors = require('undici/lib/core/errors.js');
