// The live connection of a board: one websocket per page (docs/protocol.md).
//
// - hello with the last seq this page has; the server answers with the events
//   missed (or a snapshot) and `synced`;
// - remote events are applied strictly in seq order: one that skips ahead is
//   held back and a `sync` asks for the missing ones;
// - client.transport becomes a websocket transport: send() resolves on the ack,
//   rejects on the error frame of the same op_id;
// - operations not yet acknowledged stay in an outbox kept in sessionStorage,
//   so a lost connection or a reload loses nothing; they are (re)sent after
//   catch-up and the server applies an op_id only once;
// - reconnects by itself with exponential backoff and jitter;
// - presence: tells the server which card this person is editing, and keeps the list of who is
//   here from the changes the server sends (wire.js applyPresence);
// - announces the compact forms it understands in hello (wire.js FEATURES): presence changes
//   instead of whole lists, and compact snapshots (wire.js expandSnapshot).
//
// It feeds the page's store (store.js): events, the snapshot and presence each enter through
// one store function (applyEvent, loadSnapshot, setPresence); acks and refusals of operations
// sent before a reload go to store.ack / store.refuse.

import {FEATURES, applyPresence, expandSnapshot} from './wire.js';

const BACKOFF_MIN = 500;
const BACKOFF_MAX = 15000;
const PING_EVERY = 25000;
const SILENCE_LIMIT = 60000; // nothing heard for this long: the connection is dead
const CLOSE_NOT_ALLOWED = 4403;

export function connect(client) {
  const cfg = client.config;
  const store = client.store;
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${cfg.wsPath}`;
  const storeKey = `workshop-outbox-${cfg.sessionId}-${cfg.me.kind}-${cfg.me.id}`;

  let ws = null;
  let synced = false;
  let attempts = 0;
  let retryTimer = null;
  let pingTimer = null;
  let lastHeard = Date.now();
  let stopped = false;
  let wasOffline = false;
  let held = new Map(); // seq -> event frame that arrived ahead of a gap
  let syncAsked = 0;
  let editing = null;

  // op_id -> {op, resolve, reject}; `outbox` keeps the order of sending
  const waiting = new Map();
  let outbox = loadOutbox();

  function loadOutbox() {
    try { return JSON.parse(sessionStorage.getItem(storeKey) || '[]').filter(op => op && op.op_id); } catch (e) { return []; }
  }
  function saveOutbox() {
    try {
      if (outbox.length) sessionStorage.setItem(storeKey, JSON.stringify(outbox));
      else sessionStorage.removeItem(storeKey);
    } catch (e) { /* private mode or full: the in-memory outbox still works */ }
  }
  function settle(opId) {
    outbox = outbox.filter(op => op.op_id !== opId);
    saveOutbox();
    const w = waiting.get(opId);
    waiting.delete(opId);
    return w;
  }

  function state(name) {
    client.setConnectionState(name, name === 'offline' && outbox.length
      ? `${client.t('Offline: your changes are kept and sent later')} (${client.tn('%(n)s change waiting to be sent', '%(n)s changes waiting to be sent', outbox.length)})`
      : undefined);
  }

  function send(frame) {
    if (ws && ws.readyState === WebSocket.OPEN) { ws.send(JSON.stringify(frame)); return true; }
    return false;
  }

  // ---------------------------------------------------------------------
  // the transport client.send() uses

  client.transport = {
    send(op) {
      return new Promise((resolve, reject) => {
        waiting.set(op.op_id, {op, resolve, reject});
        outbox.push(op);
        saveOutbox();
        if (synced) send({type: 'op', op});
        else if (!navigator.onLine || !ws) state('offline');
      });
    },
  };

  // what was typed before a reload shows again until the server answers it
  if (outbox.length) store.restore(outbox);

  // ---------------------------------------------------------------------
  // incoming frames

  function applyInOrder(evt) {
    const seq = store.seq;
    if (evt.seq <= seq) return;
    if (evt.seq > seq + 1) {
      held.set(evt.seq, evt);
      if (Date.now() - syncAsked > 2000) { syncAsked = Date.now(); send({type: 'sync', last_seq: seq}); }
      return;
    }
    store.applyEvent(evt);
    // release what was held back, as far as it is contiguous
    let next = held.get(store.seq + 1);
    while (next) {
      held.delete(next.seq);
      store.applyEvent(next);
      next = held.get(store.seq + 1);
    }
    for (const s of held.keys()) if (s <= store.seq) held.delete(s);
  }

  // a presence frame: changes, or (older servers, and `synced`) the whole list as `people`
  function onPresence(frame) {
    store.setPresence(applyPresence(store.people, frame));
  }

  function onFrame(frame) {
    switch (frame.type) {
      case 'event':
        applyInOrder(frame);
        break;
      case 'snapshot':
        held = new Map();
        store.loadSnapshot(frame.compact ? expandSnapshot(frame.compact) : frame.snapshot);
        break;
      case 'synced': {
        const first = !synced;
        synced = true;
        attempts = 0;
        state('online');
        if (frame.presence) onPresence({people: frame.presence});
        if (first) {
          // everything not yet acknowledged, in the order it was made
          for (const op of outbox) send({type: 'op', op});
          if (editing) send({type: 'presence', editing});
          // after an interruption: say so once everything queued is saved (at the last ack)
          if (wasOffline && outbox.length === 0) {
            wasOffline = false;
            client.announce(client.t('Back online: all changes are saved.'));
          }
        }
        break;
      }
      case 'ack': {
        const w = settle(frame.op_id);
        if (w) w.resolve(frame);
        // sent before a reload: its event came first (or it was a duplicate): drop any guess left
        else store.ack(frame.op_id);
        if (wasOffline && synced && outbox.length === 0) {
          wasOffline = false;
          client.announce(client.t('Back online: all changes are saved.'));
        }
        break;
      }
      case 'error': {
        if (frame.code === 'rate_limited' && frame.op_id) {
          // not refused, only too fast (e.g. a long outbox after being offline): send it again later
          const op = outbox.find(o => o.op_id === frame.op_id);
          if (op) {
            setTimeout(() => { if (synced && outbox.includes(op)) send({type: 'op', op}); },
              (frame.retry_after || 1) * 1000);  // same delay for all: keeps their order
            break;
          }
        }
        const w = frame.op_id ? settle(frame.op_id) : null;
        if (w) w.reject({code: frame.code, message: frame.message});
        else if (frame.op_id) { // an op from before a reload
          store.refuse(frame.op_id);
          client.toast(frame.message);
        }
        else console.warn('board protocol error', frame);
        break;
      }
      case 'presence':
        onPresence(frame);
        break;
      default:
        // pong, and frames other modules publish outside the event order (e.g. a timer)
        client.emit('live-frame', frame);
        break;
    }
  }

  // ---------------------------------------------------------------------
  // the connection and its lifecycle

  function open() {
    clearTimeout(retryTimer);
    if (stopped) return;
    if (!navigator.onLine) { state('offline'); wasOffline = true; return; }
    state(attempts ? 'reconnecting' : 'connecting');
    synced = false;
    const sock = new WebSocket(url);
    ws = sock;
    sock.onopen = () => {
      lastHeard = Date.now();
      sock.send(JSON.stringify({type: 'hello', last_seq: store.seq, features: FEATURES}));
    };
    sock.onmessage = ev => {
      if (sock !== ws) return;
      lastHeard = Date.now();
      let frame;
      try { frame = JSON.parse(ev.data); } catch (e) { return; }
      onFrame(frame);
    };
    sock.onclose = ev => {
      if (sock !== ws) return;
      ws = null;
      synced = false;
      if (ev.code === CLOSE_NOT_ALLOWED) {
        stopped = true;
        state('offline');
        return;
      }
      wasOffline = true;
      scheduleRetry();
    };
    sock.onerror = () => { /* onclose follows */ };
  }

  function scheduleRetry() {
    if (stopped) return;
    if (!navigator.onLine) { state('offline'); return; }
    state('reconnecting');
    // exponential backoff with full jitter, so a restarted server is not hit by everyone at once
    const cap = Math.min(BACKOFF_MAX, BACKOFF_MIN * 2 ** attempts);
    attempts += 1;
    retryTimer = setTimeout(open, cap / 2 + Math.random() * cap / 2);
  }

  function drop() {
    if (ws) { const s = ws; ws = null; synced = false; try { s.close(); } catch (e) { /* already closed */ } }
  }

  window.addEventListener('offline', () => { wasOffline = true; drop(); clearTimeout(retryTimer); state('offline'); });
  window.addEventListener('online', () => { attempts = 0; open(); });
  document.addEventListener('visibilitychange', () => {
    // a laptop waking up: check at once instead of waiting for the next retry
    if (document.visibilityState === 'visible' && !ws && !stopped) { attempts = 0; open(); }
  });

  pingTimer = setInterval(() => {
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    if (Date.now() - lastHeard > SILENCE_LIMIT) { drop(); scheduleRetry(); return; }
    send({type: 'ping'});
  }, PING_EVERY);

  // ---------------------------------------------------------------------
  // presence: the card dialog tells us what is being edited

  client.on('editing', cardId => {
    const id = typeof cardId === 'number' ? cardId : null;
    if (id === editing) return;
    editing = id;
    if (synced) send({type: 'presence', editing});
  });

  open();
  client.live = {
    get connected() { return synced; },
    get outbox() { return [...outbox]; },
    reconnect() { drop(); attempts = 0; open(); },
    close() { stopped = true; clearInterval(pingTimer); drop(); },
  };
  return client.live;
}
