import { io, type Socket } from 'socket.io-client';
import { strings } from './strings.js';

// The embeddable chat widget: one <script src=".../widget.js" data-…> tag. No framework; everything a
// visitor or agent wrote is put in the page as text (textContent), never as HTML.

interface Line {
  id: string;
  author: 'customer' | 'agent' | 'system';
  text: string;
  at: string;
}
interface Pending {
  clientId: string;
  text: string;
}

const script = document.currentScript as HTMLScriptElement | null;
const data = script?.dataset ?? {};
const server = (data.server || (script?.src ? new URL(script.src).origin : location.origin)).replace(
  /\/+$/,
  '',
);
const locale: 'ja' | 'en' =
  data.locale === 'en' || data.locale === 'ja'
    ? data.locale
    : navigator.language.startsWith('ja')
      ? 'ja'
      : 'en';
const t = strings[locale];
const storeKey = `csp-chat:${server}:${data.email ?? 'visitor'}`;

function load<T>(key: string, fallback: T): T {
  try {
    const raw = localStorage.getItem(`${storeKey}:${key}`);
    return raw ? (JSON.parse(raw) as T) : fallback;
  } catch {
    return fallback;
  }
}
function save(key: string, value: unknown): void {
  try {
    localStorage.setItem(`${storeKey}:${key}`, JSON.stringify(value));
  } catch {
    // private mode: the conversation still works, it just does not survive a reload
  }
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  text?: string,
) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

const css = `
:host { all: initial; font-family: system-ui, "Hiragino Sans", "Yu Gothic", sans-serif; }
.launcher { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; border: 0; border-radius: 28px;
  padding: 12px 18px; background: #0f6cbd; color: #fff; font-size: 15px; cursor: pointer; box-shadow: 0 2px 8px #0004; }
.launcher:focus-visible, button:focus-visible, textarea:focus-visible { outline: 3px solid #ffb900; outline-offset: 2px; }
.badge { display: inline-block; min-width: 18px; margin-left: 6px; padding: 0 5px; border-radius: 9px; background: #d13438;
  font-size: 12px; line-height: 18px; text-align: center; }
.badge[hidden] { display: none; }
.panel { position: fixed; right: 20px; bottom: 80px; z-index: 2147483000; width: 340px; max-width: calc(100vw - 40px);
  height: 460px; max-height: calc(100vh - 120px); display: flex; flex-direction: column; background: #fff; color: #222;
  border-radius: 10px; box-shadow: 0 4px 24px #0005; overflow: hidden; }
.panel[hidden] { display: none; }
header { display: flex; align-items: center; gap: 8px; padding: 10px 12px; background: #0f6cbd; color: #fff; }
header h2 { flex: 1; margin: 0; font-size: 15px; }
.state { font-size: 12px; opacity: .9; }
.close { border: 0; background: transparent; color: #fff; font-size: 20px; cursor: pointer; }
.case { padding: 4px 12px; font-size: 12px; background: #eef4fb; }
ol { flex: 1; margin: 0; padding: 10px 12px; list-style: none; overflow-y: auto; }
li { margin: 6px 0; padding: 8px 10px; border-radius: 8px; white-space: pre-wrap; word-break: break-word; font-size: 14px; }
li[data-author="customer"] { margin-left: 40px; background: #dceafa; }
li[data-author="agent"], li[data-author="system"] { margin-right: 40px; background: #f2f2f2; }
li .who { display: block; font-size: 11px; color: #555; margin-bottom: 2px; }
li.pending { opacity: .6; }
li.failed { outline: 1px solid #d13438; }
form { display: flex; gap: 6px; padding: 8px; border-top: 1px solid #ddd; }
textarea { flex: 1; resize: none; height: 44px; font: inherit; font-size: 14px; padding: 6px; }
.send { border: 0; border-radius: 6px; padding: 0 14px; background: #0f6cbd; color: #fff; cursor: pointer; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
`;

const host = el('div', { id: 'csp-chat-widget' });
document.body.appendChild(host);
const root = host.attachShadow({ mode: 'open' });
root.appendChild(el('style', {}, css));

const launcher = el('button', {
  class: 'launcher',
  type: 'button',
  'aria-expanded': 'false',
  'aria-controls': 'csp-chat-panel',
});
const launcherLabel = el('span', {}, t.open);
const badge = el('span', { class: 'badge', hidden: '', 'aria-label': t.unread });
launcher.append(launcherLabel, badge);

const panel = el('section', {
  class: 'panel',
  id: 'csp-chat-panel',
  role: 'dialog',
  'aria-label': t.title,
  hidden: '',
});
const header = el('header');
const title = el('h2', {}, t.title);
const state = el('span', { class: 'state', role: 'status' }, t.connecting);
const closeButton = el('button', { class: 'close', type: 'button', 'aria-label': t.close }, '×');
header.append(title, state, closeButton);
const caseLine = el('div', { class: 'case', hidden: '' });
const list = el('ol', {
  class: 'messages',
  role: 'log',
  'aria-live': 'polite',
  'aria-label': t.conversation,
});
const form = el('form');
const label = el('label', { class: 'sr', for: 'csp-chat-input' }, t.inputLabel);
const input = el('textarea', { id: 'csp-chat-input', placeholder: t.placeholder, maxlength: '4000' });
const sendButton = el('button', { class: 'send', type: 'submit' }, t.send);
form.append(label, input, sendButton);
panel.append(header, caseLine, list, form);
root.append(launcher, panel);

let unread = 0;
let pending: Pending[] = load<Pending[]>('pending', []);
const shown = new Set<string>();

function setUnread(n: number) {
  unread = n;
  badge.textContent = String(n);
  badge.toggleAttribute('hidden', n === 0);
}

function addLine(line: Line, opts: { pendingId?: string } = {}) {
  if (shown.has(line.id)) return;
  shown.add(line.id);
  const item = el('li', { 'data-author': line.author, 'data-id': line.id });
  if (opts.pendingId) {
    item.classList.add('pending');
    item.setAttribute('data-client-id', opts.pendingId);
  }
  item.append(el('span', { class: 'who' }, t.authors[line.author]), document.createTextNode(line.text));
  list.append(item);
  list.scrollTop = list.scrollHeight;
  if (panel.hasAttribute('hidden') && line.author !== 'customer') setUnread(unread + 1);
}

function openPanel(open: boolean) {
  panel.toggleAttribute('hidden', !open);
  launcher.setAttribute('aria-expanded', String(open));
  if (open) {
    setUnread(0);
    input.focus();
  } else {
    launcher.focus();
  }
  save('open', open);
}
launcher.addEventListener('click', () => openPanel(panel.hasAttribute('hidden')));
closeButton.addEventListener('click', () => openPanel(false));
panel.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') openPanel(false);
});

const socket: Socket = io(`${server}/chat`, {
  transports: ['websocket', 'polling'],
  auth: (cb) =>
    cb({
      email: data.email || undefined,
      name: data.name || undefined,
      identityHash: data.identityHash || undefined,
      sessionToken: load<string | null>('token', null) || undefined,
      locale,
    }),
});

function deliver(p: Pending) {
  socket
    .timeout(15_000)
    .emit(
      'message',
      { text: p.text, clientId: p.clientId },
      (err: unknown, ack: { id?: string; caseNumber?: number; error?: { message: string } }) => {
        const item = list.querySelector(`li[data-client-id="${p.clientId}"]`);
        if (err || !ack || ack.error || !ack.id) {
          item?.classList.add('failed');
          if (ack?.error) state.textContent = ack.error.message;
          return;
        }
        pending = pending.filter((x) => x.clientId !== p.clientId);
        save('pending', pending);
        if (item) {
          item.classList.remove('pending', 'failed');
          item.setAttribute('data-id', ack.id);
        }
        shown.add(ack.id);
        if (ack.caseNumber) showCase(ack.caseNumber);
      },
    );
}

function showCase(n: number) {
  caseLine.textContent = `${t.caseNumber} ${n}`;
  caseLine.removeAttribute('hidden');
}

socket.on('connect', () => {
  state.textContent = t.connected;
});
socket.on('disconnect', () => {
  state.textContent = t.reconnecting;
});
socket.on('connect_error', (err: Error) => {
  state.textContent = err.message && err.message !== 'xhr poll error' ? err.message : t.reconnecting;
});
socket.on('session', (s: { sessionToken: string; caseNumber?: number; messages: Line[] }) => {
  save('token', s.sessionToken);
  list.textContent = '';
  shown.clear();
  for (const m of s.messages) addLine(m);
  if (s.caseNumber) showCase(s.caseNumber);
  setUnread(0);
  // Messages typed while offline (or before a reload) go again with the same clientId: stored once.
  for (const p of pending) {
    addLine(
      { id: `pending-${p.clientId}`, author: 'customer', text: p.text, at: '' },
      { pendingId: p.clientId },
    );
    deliver(p);
  }
});
socket.on('message', (m: Line) => addLine(m));
socket.on('chat_error', (e: { message: string }) => {
  state.textContent = e.message;
});

form.addEventListener('submit', (e) => {
  e.preventDefault();
  const text = input.value.trim();
  if (!text) return;
  input.value = '';
  const p: Pending = {
    clientId: `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`,
    text,
  };
  pending.push(p);
  save('pending', pending);
  addLine({ id: `pending-${p.clientId}`, author: 'customer', text, at: '' }, { pendingId: p.clientId });
  if (socket.connected) deliver(p);
});
input.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    form.requestSubmit();
  }
});

if (data.open === 'true' || load('open', false)) openPanel(true);
