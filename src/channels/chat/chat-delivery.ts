import { Emitter } from '@socket.io/redis-emitter';
import type { Redis } from 'ioredis';
import { chatNamespace } from './gateway.js';

// Workers reach visitors through Redis: whichever gateway holds the case's room delivers the message.

export interface ChatLineOut {
  id: string;
  author: 'agent' | 'system';
  text: string;
  at: string;
}

export class ChatDelivery {
  private readonly emitter;

  constructor(redis: Redis, prefix: string) {
    this.emitter = new Emitter(redis, { key: `${prefix}:socket.io` }).of(chatNamespace);
  }

  deliver(caseId: string, line: ChatLineOut): void {
    this.emitter.to(`case:${caseId}`).emit('message', line);
  }
}
