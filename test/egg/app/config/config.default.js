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
