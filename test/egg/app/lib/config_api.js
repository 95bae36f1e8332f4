'use strict';
// An API client in the cluster-client style: APIClientBase wraps a cluster client of DataClient.
const { APIClientBase } = require('cluster-client');
const DataClient = require('./data_client');

class ConfigApi extends APIClientBase {
  get DataClient() {
    return DataClient;
  }

  get delegates() {
    return { getConfig: 'invoke' };
  }

  get clusterOptions() {
    return { name: 'ConfigApi' };
  }

  getConfig(key) {
    return this._client.getConfig(key);
  }
}

module.exports = ConfigApi;
