'use strict';
// The app's own unit test, as egg users write it: egg-mock puts agent and app in this one process.
const assert = require('assert');
const mm = require('egg-mock');

describe('the cluster clients under egg-mock', () => {
  let app;
  before(async () => {
    app = mm.app();
    await app.ready();
  });
  after(() => app.close());

  it('serves data from the DataClient and the APIClientBase client', async () => {
    const res = await app.httpRequest().get('/data').expect(200);
    assert.deepEqual(res.body.data, { key: 'a', value: 'v-a', leaderPid: process.pid });
    assert.deepEqual(res.body.api, { key: 'b', value: 'api-b', leaderPid: process.pid });
  });

  it('delivers a published value to the app', async () => {
    await app.httpRequest().get('/publish?value=from-mock').expect(200);
    for (let i = 0; i < 100 && !app.news.includes('from-mock'); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(app.news, [ 'from-mock' ]);
  });

  it('passes errors on with their code', async () => {
    const res = await app.httpRequest().get('/fail?code=E_MOCK_REFUSED').expect(200);
    assert.equal(res.body.failed, true);
    assert.equal(res.body.code, 'E_MOCK_REFUSED');
  });
});
