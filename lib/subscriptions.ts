// The subscriptions and publications of this process: sent to the leader (or to the local
// DataClient), delivered to their listeners, and replayed on every new leader.
import type { Frame } from '../protocol/index.js';
import { isLeaderLoss, publicationFailure, resultOf } from './call-policy.js';
import type { ChannelMember, LocalChannel, LocalSubscription, Route } from './channel.js';
import { encodeConnection, EMPTY, Op } from './messages.js';
import type { Logger } from './options.js';
import { decodePayload, encodePayload } from './payload.js';

export class Subscriptions {
  private nextSubId = 1;

  constructor(private readonly logger: Logger) {}

  subscribe(channel: LocalChannel, member: ChannelMember, reg: unknown, listener: (value: unknown) => void): void {
    const id = this.nextSubId++;
    let received = false;
    const sub: LocalSubscription = {
      id,
      key: channel.spec.options.formatKey(reg),
      reg,
      member,
      listener,
      subscriber: {
        deliver: (value) => {
          received = true;
          try {
            listener(value);
          } catch (err) {
            this.logger.error(`[onelink] a "${channel.name}" subscriber threw:`, err);
          }
        },
      },
    };
    channel.subscriptions.set(id, sub);
    setTimeout(() => {
      if (!received && channel.subscriptions.has(id)) {
        this.logger.warn(`[onelink] subscription ${sub.key} of "${channel.name}" received no value within subscribeTimeout (${channel.spec.options.subscribeTimeout} ms)`);
      }
    }, channel.spec.options.subscribeTimeout).unref();
    if (channel.route) this.route(channel, channel.route, sub);
  }

  unsubscribe(channel: LocalChannel, member: ChannelMember, reg: unknown, listener?: (value: unknown) => void): void {
    const key = channel.spec.options.formatKey(reg);
    for (const sub of [...channel.subscriptions.values()]) {
      if (sub.member !== member || sub.key !== key) continue;
      if (listener && sub.listener !== listener) continue;
      this.drop(channel, sub);
    }
  }

  private drop(channel: LocalChannel, sub: LocalSubscription): void {
    channel.subscriptions.delete(sub.id);
    const route = channel.route;
    if (!route) return;
    if (route.kind === 'local') route.host.unsubscribe(sub.key, sub.subscriber);
    else route.link.post(encodeConnection([Op.UNSUBSCRIBE, channel.name, sub.id]), 0, EMPTY);
  }

  private route(channel: LocalChannel, route: Route, sub: LocalSubscription): void {
    const failed = (err: unknown) => {
      if (!isLeaderLoss(err)) this.logger.error(`[onelink] subscribe ${sub.key} of "${channel.name}" failed:`, err);
    };
    if (route.kind === 'local') {
      route.host.subscribe(sub.key, sub.reg, sub.subscriber).catch(failed);
      return;
    }
    let payload;
    try {
      payload = encodePayload(sub.reg, channel.spec.options.transcode);
    } catch (err) {
      failed(err); // a reg that cannot be encoded must not stop the other replays of this channel
      return;
    }
    route.link
      .request(encodeConnection([Op.SUBSCRIBE, channel.name, sub.id]), payload.flags, payload.body, 'subscribe', channel.spec.options.responseTimeout)
      .then((frame) => resultOf(frame, channel.spec.options.transcode))
      .catch(failed);
  }

  /** A publication is remembered (one per key) and replayed on every new leader. */
  remember(channel: LocalChannel, reg: unknown): void {
    channel.publications.set(channel.spec.options.formatKey(reg), reg);
  }

  publish(channel: LocalChannel, route: Route, reg: unknown): Promise<void> {
    if (route.kind === 'local') return route.host.publish(reg);
    let payload;
    try {
      payload = encodePayload(reg, channel.spec.options.transcode);
    } catch (err) {
      return Promise.reject(err);
    }
    return route.link
      .request(encodeConnection([Op.PUBLISH, channel.name]), payload.flags, payload.body, 'publish', channel.spec.options.responseTimeout)
      .then(
        (frame) => {
          resultOf(frame, channel.spec.options.transcode);
        },
        (err) => {
          throw publicationFailure(err);
        },
      );
  }

  /** After a new leader is found: the subscriptions and publications of this process, again. */
  replay(channel: LocalChannel, route: Route): void {
    for (const sub of channel.subscriptions.values()) this.route(channel, route, sub);
    for (const reg of channel.publications.values()) {
      this.publish(channel, route, reg).catch((err) => {
        if (!isLeaderLoss(err)) this.logger.error(`[onelink] publish replay on "${channel.name}" failed:`, err);
      });
    }
  }

  /** The subscriptions of a client that closed. */
  dropMember(channel: LocalChannel, member: ChannelMember): void {
    for (const sub of [...channel.subscriptions.values()]) {
      if (sub.member === member) this.drop(channel, sub);
    }
  }

  /** A value the leader pushed for subscription `subId` of this process. */
  deliver(channel: LocalChannel, subId: number, frame: Frame): void {
    const sub = channel.subscriptions.get(subId);
    if (!sub) return;
    let value: unknown;
    try {
      value = decodePayload(frame, channel.spec.options.transcode);
    } catch (err) {
      this.logger.error(`[onelink] undecodable value for "${channel.name}":`, err);
      return;
    }
    sub.subscriber.deliver(value, 0);
  }
}
