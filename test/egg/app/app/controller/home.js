'use strict';
const path = require('path');
const { Controller } = require('egg');

class HomeController extends Controller {
  async data() {
    const { app } = this.ctx;
    this.ctx.body = {
      worker: process.pid,
      data: await app.dataClient.getConfig('a'),
      api: await app.configApi.getConfig('b'),
      leader: app.dataClient.isClusterClientLeader,
    };
  }

  async publish() {
    await this.ctx.app.dataClient.publish({ topic: 'news', value: this.ctx.query.value });
    this.ctx.body = { worker: process.pid };
  }

  async news() {
    this.ctx.body = { worker: process.pid, news: this.ctx.app.news };
  }

  async fail() {
    try {
      await this.ctx.app.dataClient.fail(this.ctx.query.code);
      this.ctx.body = { worker: process.pid, failed: false };
    } catch (err) {
      this.ctx.body = { worker: process.pid, failed: true, name: err.name, code: err.code, message: err.message };
    }
  }

  // Which package egg and the app load as cluster-client.
  async resolve() {
    const fromEgg = require.resolve('cluster-client', { paths: [ path.dirname(require.resolve('egg')) ] });
    this.ctx.body = {
      fromApp: require.resolve('cluster-client'),
      fromEgg,
      name: require('cluster-client/package.json').name,
      requireType: typeof require('cluster-client'),
    };
  }
}

module.exports = HomeController;
