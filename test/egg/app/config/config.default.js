'use strict';

exports.keys = 'onelink-egg-fixture';

// An error of a request is answered with its name, code and message (egg hides them in production),
// so that a failing test says what failed.
exports.onerror = {
  all(err, ctx) {
    ctx.status = 500;
    ctx.set('content-type', 'application/json');
    ctx.body = JSON.stringify({ error: { name: err.name, code: err.code, message: err.message } });
  },
};

// egg's built-in egg-watcher creates its client with each process's own config (the agent's and the
// app workers' differ): clients of one name must be created alike unless they allow other arguments.
exports.clusterClient = {
  allowDifferentArgs: true,
};
