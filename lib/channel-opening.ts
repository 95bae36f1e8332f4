// Opening a channel on the route the election gave it: this process's own DataClient (it leads) or
// an OPEN on the leader's link, answered once the leader's DataClient is ready. Once open, the
// channel's subscriptions and publications are replayed, then its waiting calls run.
import { EMPTY, encodeConnection, Op } from '../protocol/index.js';
import type { LocalChannel, Route } from './channel.js';
import { errorOfResponse, isErrorResponse, isLeaderLoss } from './call-policy.js';
import type { LeaderLink } from './follower/link.js';
import type { DataClientPool } from './leader/pool.js';
import type { Logger } from './options.js';
import { agreementOf } from './spec.js';
import type { Subscriptions } from './subscriptions.js';

export interface ChannelOpening {
  channels: Map<string, LocalChannel>;
  pool: DataClientPool;
  subscriptions: Subscriptions;
  logger: Logger;
}

/** This process leads: the channel opens on its DataClient once that is ready, if it still leads then. */
export function openOnLeader(opening: ChannelOpening, channel: LocalChannel, stillLeads: () => boolean): void {
  const host = opening.pool.hostFor(channel);
  host.ready.then(
    () => {
      if (opening.channels.get(channel.name) !== channel || !stillLeads()) return;
      open(opening, channel, { kind: 'local', host });
    },
    (err) => {
      channel.fail(err, true);
      opening.pool.dropFailed(host);
    },
  );
}

/** Sends the channel's OPEN on the leader's link; the leader answers once its DataClient is ready, or with why it cannot be. */
export function openOnLink(opening: ChannelOpening, channel: LocalChannel, link: LeaderLink): void {
  channel.openingOn = link;
  const request = encodeConnection([Op.OPEN, channel.name, agreementOf(channel.spec)]);
  const { maxWaitTime, responseTimeout } = channel.spec.options;
  link.request(request, 0, EMPTY, 'open', maxWaitTime + responseTimeout).then(
    (frame) => {
      // The answer may come before the agent adopted the link: it is opened right behind the handshake.
      if (link.closed || opening.channels.get(channel.name) !== channel) return;
      if (isErrorResponse(frame)) {
        channel.fail(errorOfResponse(frame), true);
        return;
      }
      opening.pool.forgetHandover(channel.name);
      opening.logger.debug?.(`[onelink] channel "${channel.name}" open on leader ${link.leaderPid}`);
      open(opening, channel, { kind: 'remote', link });
    },
    (err) => {
      if (isLeaderLoss(err)) return; // the next election opens it again
      // No answer in time (the leader's DataClient is slow to start): the next use sends the OPEN again.
      channel.fail(err, true);
    },
  );
}

function open(opening: ChannelOpening, channel: LocalChannel, route: Route): void {
  opening.subscriptions.replay(channel, route);
  channel.open(route);
}
