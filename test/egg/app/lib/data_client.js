'use strict';
// The DataClient: in an egg app it is constructed in the agent only (the leader); app workers reach it
// through their cluster client.
const { EventEmitter } = require('events');

class DataClient extends EventEmitter {
  constructor(options = {}) {
    super();
    this.prefix = options.prefix || '';
    this.listeners = new Map();
  }

  async getConfig(key) {
    return { key, value: `${this.prefix}${key}`, leaderPid: process.pid };
  }

  async fail(code) {
    const err = new Error(`config store refused (${code})`);
    err.code = code;
    throw err;
  }

  subscribe(reg, listener) {
    const list = this.listeners.get(reg.topic) || [];
    list.push(listener);
    this.listeners.set(reg.topic, list);
  }

  publish(reg) {
    for (const listener of this.listeners.get(reg.topic) || []) listener(reg.value);
  }
}

module.exports = DataClient;
