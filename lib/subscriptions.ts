// The subscriptions and publications of this process: sent to the leader (or to the local
// DataClient), delivered to their listeners, and replayed on every new leader.
import { decodePayload, EMPTY, encodeConnection, encodePayload, Op, type Frame } from '../protocol/index.js';
import { isLeaderLoss, publicationFailure, resultOf } from './call-policy.js';
import type { ChannelMember, LocalChannel, LocalSubscription, Route } from './channel.js';
import type { Logger } from './options.js';

/** What cluster-client's follower keeps per client for subscribeTimeout: the keys that got a value, a timer per key. */
interface MemberKeys {
  received: Set<string>;
  timers: Map<string, NodeJS.Timeout>;
}

export class Subscriptions {
  private nextSubId = 1;
  private readonly members = new Map<ChannelMember, MemberKeys>();

  constructor(private readonly logger: Logger) {}

  subscribe(channel: LocalChannel, member: ChannelMember, reg: unknown, listener: (value: unknown) => void): void {
    const id = this.nextSubId++;
    const key = channel.spec.options.formatKey(reg);
    const sub: LocalSubscription = {
      id,
      key,
      reg,
      member,
      listener,
      subscriber: {
        deliver: (value) => {
          this.received(member, key);
          try {
            listener(value);
          } catch (err) {
            this.logger.error(`[onelink] a "${channel.name}" subscriber threw:`, err);
          }
        },
      },
    };
    channel.subscriptions.set(id, sub);
    if (channel.route) this.route(channel, channel.route, sub, true);
  }

  /**
   * subscribeTimeout, as cluster-client's follower has it: when a subscription of a key is sent to a
   * remote leader and this client has no value of that key yet, one timer per key (restarted by
   * each subscribe()) emits 'error' on the client unless a value comes first.
   */
  private armTimeout(channel: LocalChannel, sub: LocalSubscription, restart: boolean): void {
    const timeout = channel.spec.options.subscribeTimeout;
    if (timeout === undefined) return;
    let keys = this.members.get(sub.member);
    if (!keys) {
      keys = { received: new Set(), timers: new Map() };
      this.members.set(sub.member, keys);
    }
    if (keys.received.has(sub.key) || (keys.timers.has(sub.key) && !restart)) return;
    clearTimeout(keys.timers.get(sub.key));
    const start = Date.now();
    const timers = keys.timers;
    const timer = setTimeout(() => {
      timers.delete(sub.key);
      const error = new Error(`subscribe timeout for $$inner$$__${sub.key}, cost: ${Date.now() - start}ms, expect is ${timeout}ms`);
      sub.member.emitFromDataClient('error', [error]);
    }, timeout);
    timer.unref();
    timers.set(sub.key, timer);
  }

  private received(member: ChannelMember, key: string): void {
    const keys = this.members.get(member);
    if (!keys) return;
    keys.received.add(key);
    clearTimeout(keys.timers.get(key));
    keys.timers.delete(key);
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

  /** `subscribed`: called from subscribe(), which restarts the key's subscribeTimeout. */
  private route(channel: LocalChannel, route: Route, sub: LocalSubscription, subscribed: boolean): void {
    const failed = (err: unknown) => {
      if (!isLeaderLoss(err)) this.logger.error(`[onelink] subscribe ${sub.key} of "${channel.name}" failed:`, err);
    };
    if (route.kind === 'local') {
      route.host.subscribe(sub.key, sub.reg, sub.subscriber).catch(failed);
      return;
    }
    this.armTimeout(channel, sub, subscribed);
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
    for (const sub of channel.subscriptions.values()) this.route(channel, route, sub, false);
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
    for (const timer of this.members.get(member)?.timers.values() ?? []) clearTimeout(timer);
    this.members.delete(member);
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
