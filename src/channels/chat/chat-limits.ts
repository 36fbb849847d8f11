import type { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';

export interface ChatLimits {
  messagesPerMinutePerIp: number;
  messagesPer10sPerConnection: number;
  connectionsPerMinutePerIp: number;
}

const defaultLimits: ChatLimits = {
  messagesPerMinutePerIp: 120,
  messagesPer10sPerConnection: 20,
  connectionsPerMinutePerIp: 60,
};

/** The chat's rate limits, kept in Redis so that every gateway process counts against the same budget. */
export function createChatLimiters(redis: Redis, redisPrefix: string, limits: ChatLimits = defaultLimits) {
  const limiter = (name: string, points: number, duration: number) =>
    new RateLimiterRedis({ storeClient: redis, keyPrefix: `${redisPrefix}:rl:${name}`, points, duration });
  return {
    perIpMessages: limiter('msg-ip', limits.messagesPerMinutePerIp, 60),
    perConnMessages: limiter('msg-conn', limits.messagesPer10sPerConnection, 10),
    perIpConnections: limiter('conn-ip', limits.connectionsPerMinutePerIp, 60),
  };
}

export type ChatLimiters = ReturnType<typeof createChatLimiters>;
